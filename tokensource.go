package pam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
)

// TokenSource supplies the token a [Client] attaches to its PubNub API calls,
// typically by asking the application's own server, which grants tokens with
// [Client.GrantToken]. Token is called with the context of the request that
// needs the token; it must be safe for concurrent use.
//
// A bare TokenSource is asked before every request. Wrap it with
// [ReuseTokenSource] to ask only when the cached token is about to expire or
// the service has rejected it.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// WithTokenSource sets where the client gets its token for [Client.Transport]
// when none is set with [Client.SetToken]. When the service answers that the
// token is expired or revoked, the transport asks the source once more and
// retries the request once. Wrap the source in [ReuseTokenSource] so that it
// is asked only when needed.
//
// A token set with SetToken takes precedence over the source until it is
// cleared with SetToken(""). nil is an error.
func WithTokenSource(ts TokenSource) Option {
	return func(o *options) error {
		if ts == nil {
			return optionError("WithTokenSource", "the token source is nil; pass a TokenSource or leave the option out")
		}
		o.ts = ts
		return nil
	}
}

// sourceState is a client's token source and what it last returned.
type sourceState struct {
	ts   TokenSource
	last atomic.Pointer[string]
}

// newSourceState returns nil when no source is configured.
func newSourceState(ts TokenSource) *sourceState {
	if ts == nil {
		return nil
	}
	return &sourceState{ts: ts}
}

// clockedSource is what [ReuseTokenSource] offers a client beyond
// TokenSource: the client's clock for expiry checks (so that [WithClock]
// governs refreshes) and a way to drop a token the service rejected.
type clockedSource interface {
	tokenAt(ctx context.Context, clk clocks) (string, error)
	invalidate(token string)
}

// currentToken returns the token to attach and whether it came from the
// token source (and so may be refreshed).
func (c *Client) currentToken(ctx context.Context) (string, bool, error) {
	tok := c.heldToken()
	if tok != "" || c.src == nil {
		return tok, false, nil
	}
	var err error
	if cs, ok := c.src.ts.(clockedSource); ok {
		tok, err = cs.tokenAt(ctx, clocks{now: c.serverNow, local: c.now}) // errors arrive wrapped
	} else {
		tok, err = checkSourceToken(c.src.ts.Token(ctx))
	}
	if err != nil {
		return "", false, err
	}
	last := tok // a copy, so that tok itself does not escape on the fast path
	c.src.last.Store(&last)
	return tok, true, nil
}

// checkSourceToken wraps an error from a token source, and rejects an empty
// token.
func checkSourceToken(tok string, err error) (string, error) {
	if err != nil {
		return "", sourceError(err)
	}
	if strings.TrimSpace(tok) == "" {
		return "", sourceError(fmt.Errorf("%w: the source returned an empty token", ErrMissingToken))
	}
	return tok, nil
}

// ReuseTokenSource returns a [TokenSource] that caches the token src returns
// and asks src again only when there is none, when it expires within early
// (its expiry is read from the token: issue time plus TTL), or when the
// service has rejected it as expired or revoked. Negative early counts as 0.
//
// Concurrent callers share one call to src: while it runs they wait for its
// result (or their own context's end). An error from src is returned
// wrapped ("pam: token source: …") and is not cached: the next call asks
// again. A token that does not parse (see [ParseToken]) is an error wrapping
// [ErrMalformedToken], and so is not cached either.
//
// Choose early well below the tokens' TTL (a minute or two for tokens of
// 15 minutes or more): a token that expires within early of being fetched is
// used once and fetched again on the next call.
//
// Called directly, the source checks expiry against time.Now. Through
// [Client.Transport] it uses the client's clock ([WithClock]), corrected by
// any offset the client has learned from the service's clock. A token
// that only that offset makes look due the moment it arrives is judged by
// the client's clock alone, so that a wrong offset cannot make every
// request fetch a token.
func ReuseTokenSource(src TokenSource, early time.Duration) TokenSource {
	if rs, ok := src.(*reuseTokenSource); ok {
		src = rs.src // don't cache twice
	}
	return &reuseTokenSource{src: src, early: max(early, 0)}
}

// reuseTokenSource is the TokenSource returned by [ReuseTokenSource].
type reuseTokenSource struct {
	src   TokenSource
	early time.Duration

	mu       sync.Mutex // guards the fields below
	tok      string     // the cached token; "" for none
	refresh  time.Time  // when tok must be replaced: expiry minus early
	inflight *fetch     // the call to src under way, if any
}

// fetch is one call to the underlying source, shared by all who wait.
type fetch struct {
	done chan struct{} // closed when tok and err are set
	tok  string
	err  error
}

// Token returns the cached token or a fresh one, as [ReuseTokenSource]
// describes.
func (s *reuseTokenSource) Token(ctx context.Context) (string, error) {
	return s.tokenAt(ctx, clocks{now: time.Now, local: time.Now})
}

// clocks are what a reuseTokenSource judges expiry by: now, the client's
// estimate of the service's clock (its clock plus the offset learnt from
// the service), and local, its clock without the offset.
type clocks struct{ now, local func() time.Time }

func (s *reuseTokenSource) tokenAt(ctx context.Context, clk clocks) (string, error) {
	now := clk.now
	if ctx == nil {
		return "", sourceError(errors.New("nil context; pass context.Background() or a request context"))
	}
	for {
		s.mu.Lock()
		if s.tok != "" && now().Before(s.refresh) {
			tok := s.tok
			s.mu.Unlock()
			return tok, nil
		}
		f := s.inflight
		if f == nil {
			f = &fetch{done: make(chan struct{})}
			s.inflight = f
			s.mu.Unlock()
			s.run(ctx, f, clk)
			return f.tok, f.err
		}
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", sourceError(ctx.Err())
		}
		// The caller that made the call gave up (its context ended) while
		// ours is still live: try again rather than inherit its failure.
		if f.err != nil && isContextErr(f.err) && ctx.Err() == nil {
			continue
		}
		return f.tok, f.err
	}
}

// run calls src for f and publishes the result, also if src panics.
func (s *reuseTokenSource) run(ctx context.Context, f *fetch, clk clocks) {
	var refresh time.Time
	finished := false
	defer func() {
		if !finished {
			f.tok, f.err = "", sourceError(errors.New("the source panicked"))
		}
		s.mu.Lock()
		if f.err == nil {
			s.tok, s.refresh = f.tok, refresh
		}
		s.inflight = nil
		s.mu.Unlock()
		close(f.done)
	}()
	if s.src == nil {
		f.err = sourceError(errors.New("ReuseTokenSource was given a nil source"))
		finished = true
		return
	}
	tok, err := checkSourceToken(s.src.Token(ctx))
	if err == nil {
		var exp time.Time
		if exp, err = tokenExpiry(tok); err != nil {
			tok, err = "", sourceError(err)
		}
		refresh = dueAt(exp.Add(-s.early), clk)
	}
	f.tok, f.err = tok, err
	finished = true
}

// dueAt returns when a token just fetched, due at refresh by clk.now, must
// be replaced. When only the learnt offset makes it due at once (by the
// local clock it is not), the offset is wrong or the token younger than the
// offset says: it is judged by the local clock instead (refresh moved by
// the offset), so that no offset makes every request fetch a token.
func dueAt(refresh time.Time, clk clocks) time.Time {
	now := clk.now()
	if now.Before(refresh) {
		return refresh
	}
	local := clk.local()
	if !local.Before(refresh) {
		return refresh // due by either clock: a stale token, used once
	}
	return refresh.Add(now.Sub(local))
}

// invalidate drops token from the cache if it is still the cached one, so
// that the next call asks src. Concurrent rejections of the same token thus
// cause one refresh.
func (s *reuseTokenSource) invalidate(token string) {
	s.mu.Lock()
	if s.tok == token {
		s.tok = ""
	}
	s.mu.Unlock()
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// tokenExpiry returns when a token expires, from [ParseToken].
func tokenExpiry(token string) (time.Time, error) {
	t, err := ParseToken(wireToken(token))
	if err != nil {
		return time.Time{}, err
	}
	return t.ExpiresAt(), nil
}

// maxTokenAnswer bounds the answer HTTPTokenSource reads from a token
// endpoint.
const maxTokenAnswer = 64 << 10

// maxEndpointErrorText bounds the endpoint's error text kept in an error.
const maxEndpointErrorText = 200

// HTTPTokenSource returns a [TokenSource] that fetches a token from a token
// endpoint, such as one served by [TokenHandler]: a GET of url with hc,
// and so with hc's cookie jar and transport (add your credentials there).
// nil hc means a client of its own with a 10 second timeout, sending through
// pam's default transport (see the package doc). Use it on a
// device with [ReuseTokenSource] and [WithTokenSource]:
//
//	src := pam.ReuseTokenSource(pam.HTTPTokenSource("https://api.example.com/pubnub-token", hc), time.Minute)
//	c, err := pam.New(pam.Keys{Subscribe: sub}, pam.WithUserID("user-1"), pam.WithTokenSource(src))
//
// The answer must be 200 with a JSON object whose "token" parses (see
// [ParseToken]); other fields are ignored. Any other status is an error
// carrying the status and the answer's "error" text, and matching
// [ErrUnauthenticated] for a 401 and [ErrPermissionDenied] for a 403. An
// answer over 64 KiB, one that is not JSON, and a token that does not parse
// are errors too; errors never contain the token or the URL's query.
//
// The source caches nothing: every call is a request. [ReuseTokenSource]
// does the caching.
func HTTPTokenSource(url string, hc *http.Client) TokenSource {
	if hc == nil {
		hc = defaultHTTPClient()
	}
	return &httpTokenSource{url: url, hc: hc}
}

// httpTokenSource is the TokenSource returned by [HTTPTokenSource].
type httpTokenSource struct {
	url string
	hc  *http.Client
}

// Token fetches a token from the endpoint, as [HTTPTokenSource] describes.
func (s *httpTokenSource) Token(ctx context.Context) (string, error) {
	if ctx == nil {
		return "", opErr(opEndpoint, errors.New("nil context; pass context.Background() or a request context"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return "", opErr(opEndpoint, errors.New("the URL given to HTTPTokenSource does not parse; pass an absolute http or https URL"))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", opErr(opEndpoint, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil {
		return "", opErr(opEndpoint, fmt.Errorf("reading the answer: %w", redactURLError(err)))
	}
	tok, err := readTokenAnswer(resp.StatusCode, body)
	return tok, opErr(opEndpoint, err)
}

// opEndpoint names HTTPTokenSource in its errors.
const opEndpoint = "token endpoint"

// readTokenAnswer returns the token in a token endpoint's answer, or what
// is wrong with the answer (without "pam: ").
func readTokenAnswer(status int, body []byte) (string, error) {
	if len(body) > maxTokenAnswer {
		return "", fmt.Errorf("the answer (status %d) is over %d KiB; check the URL points at a token endpoint", status, maxTokenAnswer>>10)
	}
	if status != http.StatusOK {
		return "", &endpointError{status: status, text: endpointErrorText(body)}
	}
	var ans struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return "", errors.New("the answer is not a JSON object; check the URL points at a token endpoint")
	}
	if ans.Token == "" {
		return "", fmt.Errorf("%w: the answer has no \"token\"", ErrMissingToken)
	}
	if _, err := parseToken(wireToken(ans.Token)); err != nil {
		return "", fmt.Errorf("the answer's token does not parse: %w", err)
	}
	return ans.Token, nil
}

// endpointErrorText returns the "error" text of an error answer, cut to a
// bounded length and stripped of control characters, or "".
func endpointErrorText(body []byte) string {
	var ans struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &ans) != nil {
		return ""
	}
	text := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, ans.Error)
	if len(text) > maxEndpointErrorText {
		text = strings.ToValidUTF8(text[:maxEndpointErrorText], "") + "…"
	}
	return text
}

var (
	_ TokenSource   = (*reuseTokenSource)(nil)
	_ clockedSource = (*reuseTokenSource)(nil)
	_ TokenSource   = (*httpTokenSource)(nil)
)
