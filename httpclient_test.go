package pam

import (
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultHTTPClient: without WithHTTPClient a client sends through
// pam's own transport, shared by all clients, with the documented settings.
func TestDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	c, err := New(testKeys)
	require.NoError(t, err)
	other, err := New(testKeys)
	require.NoError(t, err)

	assert.Equal(t, 10*time.Second, c.hc.Timeout)
	tr, ok := c.hc.Transport.(*http.Transport)
	require.True(t, ok, "default transport is %T", c.hc.Transport)
	assert.NotSame(t, http.DefaultTransport, tr, "the default client must not share http.DefaultTransport")
	assert.Same(t, tr, other.hc.Transport, "clients without WithHTTPClient share one transport")
	assert.NotSame(t, c.hc, other.hc, "each client has its own http.Client")

	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost, 256},
		{"MaxIdleConns", tr.MaxIdleConns, 256},
		{"MaxConnsPerHost", tr.MaxConnsPerHost, 0},
		{"ForceAttemptHTTP2", tr.ForceAttemptHTTP2, true},
		{"TLSHandshakeTimeout", tr.TLSHandshakeTimeout, 5 * time.Second},
		{"ResponseHeaderTimeout", tr.ResponseHeaderTimeout, 5 * time.Second},
		{"IdleConnTimeout", tr.IdleConnTimeout, 50 * time.Second},
		{"DisableKeepAlives", tr.DisableKeepAlives, false},
	} {
		assert.Equal(t, tc.want, tc.got, tc.name)
	}
	assert.NotNil(t, tr.DialContext, "dial timeout and keep-alive need a dialer")
	assert.NotNil(t, tr.Proxy, "the proxy comes from the environment")
	require.NotNil(t, tr.TLSClientConfig)
	assert.NotNil(t, tr.TLSClientConfig.ClientSessionCache, "TLS sessions are resumed")
	assert.Nil(t, tr.TLSClientConfig.RootCAs, "the system roots are trusted")
	assert.False(t, tr.TLSClientConfig.InsecureSkipVerify)
}

// TestWithHTTPClientReplacesTransport: WithHTTPClient replaces the default
// client and transport wholesale, and Client.Transport(nil) then sends
// through the given client's transport.
func TestWithHTTPClientReplacesTransport(t *testing.T) {
	t.Parallel()
	var seen atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Add(1)
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
	})
	c, err := New(testKeys, WithOrigin("http://pubnub.test"), WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	assert.Zero(t, c.hc.Timeout, "the given client's settings are kept")
	assert.NotNil(t, c.hc.Transport)

	c.SetToken(grantOKToken)
	res, err := (&http.Client{Transport: c.Transport(nil)}).Get("http://pubnub.test/time/0")
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	assert.Equal(t, int32(1), seen.Load(), "Transport(nil) goes through the client's own transport")

	plain, err := New(testKeys, WithHTTPClient(&http.Client{}))
	require.NoError(t, err)
	assert.Same(t, http.DefaultTransport, plain.roundTripper(), "a client without a transport means http.DefaultTransport, as in net/http")

	def, err := New(testKeys)
	require.NoError(t, err)
	tr, ok := def.Transport(nil).(*transport)
	require.True(t, ok)
	assert.Same(t, defaultTransport(), tr.baseRT(), "Transport(nil) of a default client uses pam's transport")
}

// grantOKToken is the token in grantOK.
const grantOKToken = "qEF2AkF0GmEI03xDdHRsGDxDcmVz"

// tlsCounter is an httptest TLS server answering every grant with grantOK
// that counts the connections it accepts and the TLS sessions resumed.
type tlsCounter struct {
	*httptest.Server
	conns   atomic.Int32
	resumed atomic.Int32
	gate    func(context.Context) // if set, each request waits on it before it is answered
}

func newTLSCounter(t *testing.T, http2 bool) *tlsCounter {
	t.Helper()
	s := &tlsCounter{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if s.gate != nil {
			s.gate(r.Context())
		}
		if r.TLS != nil && r.TLS.DidResume {
			s.resumed.Add(1)
		}
		_, _ = io.WriteString(w, grantOK)
	}))
	s.EnableHTTP2 = http2
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// defaultClientFor returns a client with the default settings that trusts
// s's certificate, and its transport.
func defaultClientFor(t *testing.T, s *tlsCounter) (*Client, *http.Transport) {
	t.Helper()
	tr := newTransport()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	tr.TLSClientConfig.RootCAs = pool
	t.Cleanup(tr.CloseIdleConnections)
	hc := defaultHTTPClient()
	hc.Transport = tr
	c, err := New(testKeys, WithOrigin(s.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	return c, tr
}

func grantOnce(ctx context.Context, c *Client) error {
	_, err := c.GrantToken(ctx, NewTokenRequest(time.Minute).Channel("room-1", Read))
	return err
}

// TestDefaultTransportOneConnection: sequential grants over TLS, HTTP/1.1
// or HTTP/2, all go over one connection; after the connection is closed
// the next one resumes the TLS session.
func TestDefaultTransportOneConnection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		http2 bool
	}{{"http1", false}, {"http2", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTLSCounter(t, tc.http2)
			c, tr := defaultClientFor(t, s)
			ctx := context.Background()
			const n = 20
			for range n {
				require.NoError(t, grantOnce(ctx, c))
			}
			assert.Equal(t, int32(1), s.conns.Load(), "%d sequential grants", n)
			assert.Zero(t, s.resumed.Load())

			tr.CloseIdleConnections()
			require.NoError(t, grantOnce(ctx, c))
			assert.Equal(t, int32(2), s.conns.Load())
			assert.Equal(t, int32(1), s.resumed.Load(), "the second connection resumes the TLS session")
		})
	}
}

// TestDefaultTransportBoundedConnections: rounds of concurrent grants over
// HTTP/1.1 open as many connections as there are grants in flight, once.
// The server answers a round only when all its grants have arrived, so each
// grant of the first round is on a connection of its own and every later
// round finds them all idle. (With http.DefaultTransport's 2 idle
// connections per host each later round would open inFlight-2 more.)
func TestDefaultTransportBoundedConnections(t *testing.T) {
	t.Parallel()
	const inFlight, rounds = 16, 5
	s := newTLSCounter(t, false)
	b := &barrier{size: inFlight, ch: make(chan struct{})}
	s.gate = b.wait
	c, _ := defaultClientFor(t, s)
	ctx := context.Background()
	for range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, inFlight)
		for range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- grantOnce(ctx, c)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	assert.Equal(t, int32(inFlight), s.conns.Load(), "%d rounds of %d grants in flight", rounds, inFlight)
}

// barrier lets requests through in groups of size.
type barrier struct {
	mu   sync.Mutex
	n    int
	size int
	ch   chan struct{}
}

// wait returns when size requests are waiting, or when ctx ends.
func (b *barrier) wait(ctx context.Context) {
	b.mu.Lock()
	ch := b.ch
	if b.n++; b.n == b.size {
		close(b.ch)
		b.n, b.ch = 0, make(chan struct{})
	}
	b.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}
