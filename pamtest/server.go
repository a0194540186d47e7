package pamtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/pamkit/pam"
)

// Server is the Access Manager emulator listening on a loopback address,
// for tests. It is safe for concurrent use.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:<port>"; pass it to
	// pam.WithOrigin, or use [Server.Client].
	URL string

	ts *httptest.Server
	h  *handler
}

// NewServer starts an emulator on 127.0.0.1 and returns it; call
// [Server.Close] when done (t.Cleanup(s.Close)). Like httptest.NewServer it
// panics if it cannot listen, and it panics if an option is invalid (see
// [WithMaxTTL]).
func NewServer(opts ...Option) *Server {
	h := newHandler(newConfig(opts))
	ts := httptest.NewServer(h)
	return &Server{URL: ts.URL, ts: ts, h: h}
}

// Keys returns the keyset the emulator serves: the one given with
// [WithKeys], with empty fields generated.
func (s *Server) Keys() pam.Keys { return s.h.keys }

// Client returns a pam.Client for the emulator's keyset, pointed at
// s.URL and using the emulator's clock (so that request timestamps agree
// with it even under [WithClock]), with opts applied after those defaults:
// an explicit option wins.
//
// Client does not panic and never returns nil. If an option is invalid (the
// only way pam.New can fail here), the returned client is built without the
// caller's options and every call it makes fails with an error that names
// the invalid option, so the mistake surfaces at the first grant or revoke.
func (s *Server) Client(opts ...pam.Option) *pam.Client {
	base := []pam.Option{pam.WithOrigin(s.URL), pam.WithClock(s.h.now)}
	c, err := pam.New(s.Keys(), append(base, opts...)...)
	if err == nil {
		return c
	}
	hc := &http.Client{Transport: failingTransport{fmt.Errorf("pamtest: Server.Client: invalid option: %w", err)}}
	c, err2 := pam.New(s.Keys(), append(base, pam.WithHTTPClient(hc))...)
	if err2 != nil { // cannot happen: the keys and origin are the server's own
		panic("pamtest: Server.Client: " + err2.Error())
	}
	return c
}

// failingTransport fails every request with err.
type failingTransport struct{ err error }

// RoundTrip returns the transport's error.
func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return nil, f.err
}

// Close shuts the server down and blocks until all its requests are done.
func (s *Server) Close() { s.ts.Close() }

// Handler is the emulator as an [http.Handler], for serving it on an
// address of your choosing (the CLI's `pam serve` does). It is safe for
// concurrent use.
type Handler struct{ h *handler }

// NewHandler returns the emulator as a [*Handler]. Its keys are the ones
// given with [WithKeys] or generated; [Handler.Keys] returns them:
//
//	h := pamtest.NewHandler()
//	srv := &http.Server{Addr: "127.0.0.1:8090", Handler: h}
//	keys := h.Keys()
//
// NewHandler panics if an option is invalid (see [WithMaxTTL]).
func NewHandler(opts ...Option) *Handler {
	return &Handler{newHandler(newConfig(opts))}
}

// ServeHTTP serves one request to the emulator.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }

// Keys returns the keyset the emulator serves.
func (h *Handler) Keys() pam.Keys { return h.h.keys }

// Messages returns the messages published to channel, as [Server.Messages]
// does.
func (h *Handler) Messages(channel string) []Message { return h.h.published(channel) }
