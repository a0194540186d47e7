package pam

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/pamkit/pam/internal/sign"
)

// Transport returns an [http.RoundTripper] that adds auth=<current token> to
// every request sent to the client's origin (the scheme and host set with
// [WithOrigin]) and passes it on to base; nil base means the transport the
// client sends its own requests with: pam's default transport (see the
// package doc) or that of the client given to [WithHTTPClient]. Use it for
// the PubNub calls this package does not make itself:
//
//	hc := &http.Client{Transport: c.Transport(nil)}
//
// The origin is the scheme and host set with [WithOrigin]
// (https://ps.pndsn.com by default). A request is to the origin when its URL
// has the same scheme and the same host and port, compared without regard
// to case and with the scheme's default port (443, 80) implied. Nothing is
// resolved: "localhost" and "127.0.0.1" are different origins, and an origin
// given without a scheme is https, so WithOrigin("127.0.0.1:8090") does not
// match requests to http://127.0.0.1:8090. Requests to any other scheme or
// host go out without the token. The first such request to a PubNub API
// path (/publish/, /subscribe/, /signal/, /time/, /v1/, /v2/, /v3/, ...)
// made while the client has a token or a token source is reported once, by
// a Warn record "pam: token not attached: request is not to the client's
// origin" with the request's and the origin's scheme and host (see
// [WithLogger]), since the service's answer, a 403, would read like a
// missing permission.
//
// The token is read for each request, so [Client.SetToken] takes effect on
// the next call. Any auth parameters already in the query are replaced by
// exactly one, percent-encoded as the service expects; the other parameters
// and their order are kept. A request that carries the token also carries
// the client's uuid ([WithUserID]) when it has no uuid parameter of its own;
// a uuid already there is never replaced. Requests already signed (with a
// signature parameter) and Access Manager's own endpoints (/v3/pam/,
// /v2/auth/) pass through untouched, as do all requests while the client
// has no token. The caller's request is never modified.
//
// The token never leaves the origin: a request to any other scheme or host
// (a redirect the caller's HTTP client follows with the query kept, say)
// goes without any auth parameter holding the client's token, and without a
// Referer that would carry it; anything else in it passes untouched.
//
// With a token source ([WithTokenSource]) and no token set with SetToken, the
// source is asked for the token; its error is returned, wrapped, and the
// request is not sent. When the service answers 403 with "Token is expired"
// or "Token is revoked", the transport asks the source once more (a
// [ReuseTokenSource] drops the rejected token first) and, if it gets a
// different token and the request can be replayed (no body, or
// Request.GetBody set), sends the request once more. The second answer is
// returned whatever it is. A request that cannot be replayed gets the 403,
// but the rejected token is dropped all the same, so that the next request
// fetches another. Without a source there is nothing new to get, so a
// 403 is returned as it is.
func (c *Client) Transport(base http.RoundTripper) http.RoundTripper {
	return &transport{c: c, base: base}
}

// SetToken sets the token that [Client.Transport] attaches, as auth=, to
// every PubNub API call that follows, including calls through HTTP clients
// configured before. SetToken("") clears it.
//
// A token set here takes precedence over a source configured with
// [WithTokenSource]: while it is set the source is not asked and a rejected
// token is not refreshed. Clearing it hands control back to the source.
//
// The token is stored as given. When it is sent, surrounding white space is
// dropped and a percent-encoded token is decoded first, so that it goes on
// the wire encoded exactly once.
func (c *Client) SetToken(token string) {
	var p *string
	if token != "" {
		p = &token
	}
	c.tokenMu.Lock()
	c.token = p
	c.tokenMu.Unlock()
}

// heldToken returns the token set with SetToken, "" when there is none.
func (c *Client) heldToken() string {
	c.tokenMu.RLock()
	p := c.token
	c.tokenMu.RUnlock()
	if p == nil {
		return ""
	}
	return *p
}

// Token returns the token the client currently attaches: the one set with
// [Client.SetToken] or, if none is set, the last one its token source
// returned. It returns "" when there is none.
func (c *Client) Token() string {
	tok := c.heldToken()
	if tok == "" && c.src != nil {
		if p := c.src.last.Load(); p != nil {
			tok = *p
		}
	}
	return tok
}

var _ http.RoundTripper = (*transport)(nil)

// transport is the RoundTripper returned by [Client.Transport].
type transport struct {
	c    *Client
	base http.RoundTripper
}

func (t *transport) baseRT() http.RoundTripper {
	if t.base != nil {
		return t.base
	}
	return t.c.roundTripper()
}

// maxRejectionBody bounds how much of a 403 body the transport reads to
// tell an expired or revoked token from other denials.
const maxRejectionBody = maxErrorBody

// RoundTrip implements [http.RoundTripper].
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.c.warnOffOrigin(req)
	if req.URL == nil || !t.c.isOrigin(req.URL) {
		// However it got here (a redirect the caller's client follows,
		// say), a request leaving the origin goes without the token.
		return t.baseRT().RoundTrip(t.c.withoutToken(req))
	}
	if exempt(req.URL) {
		return t.baseRT().RoundTrip(req)
	}
	ctx := req.Context()
	tok, fromSource, err := t.c.currentToken(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if tok == "" {
		return t.baseRT().RoundTrip(req)
	}
	resp, err := t.baseRT().RoundTrip(withAuth(req, tok, t.c.userID, req.Body))
	if err != nil || !fromSource || resp.StatusCode != http.StatusForbidden || !tokenRejected(resp) {
		return resp, err
	}
	// The service rejected the token: forget it, so that the next request
	// gets another even if this one cannot be sent again.
	if cs, ok := t.c.src.ts.(clockedSource); ok {
		cs.invalidate(tok)
	}
	if !replayable(req) {
		return resp, nil
	}
	return t.resend(req, resp, tok)
}

// resend sends req once more with a fresh token from the source, after the
// service rejected tok with resp. When there is no fresh token, or the body
// cannot be had again, resp is returned as it came.
func (t *transport) resend(req *http.Request, resp *http.Response, tok string) (*http.Response, error) {
	ctx := req.Context()
	fresh, _, err := t.c.currentToken(ctx)
	if err != nil {
		discard(resp)
		return nil, err
	}
	if fresh == "" || fresh == tok || ctx.Err() != nil {
		return resp, nil
	}
	body := req.Body
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		if body, err = req.GetBody(); err != nil {
			return resp, nil // the first answer stands
		}
	}
	discard(resp)
	return t.baseRT().RoundTrip(withAuth(req, fresh, t.c.userID, body))
}

// isOrigin reports whether u is on the client's origin: the same scheme and
// the same host and port (default ports and case aside).
func (c *Client) isOrigin(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, c.scheme) {
		return false
	}
	return canonicalHost(c.scheme, u.Host) == canonicalHost(c.scheme, c.host)
}

// canonicalHost lowercases host and drops the scheme's default port.
func canonicalHost(scheme, host string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}

// exempt reports whether a request to the origin must go without a token:
// Access Manager's own endpoints, which take no auth, and requests whose
// query is signed, which adding a parameter would invalidate.
func exempt(u *url.URL) bool {
	if hasPathPrefix(u, "/v3/pam/") || hasPathPrefix(u, "/v2/auth/") {
		return true
	}
	return hasParam(u.RawQuery, "signature")
}

// hasPathPrefix reports whether u's escaped path starts with prefix, a path
// of unreserved characters and slashes. Without a RawPath the escaped path
// is the path with some characters escaped, none of which is in prefix, so
// the path can be tested without escaping it (which allocates).
func hasPathPrefix(u *url.URL, prefix string) bool {
	if u.RawPath == "" && u.Opaque == "" {
		return strings.HasPrefix(u.Path, prefix)
	}
	return strings.HasPrefix(apiPath(u), prefix)
}

// forEachParam calls f with the decoded key and the raw text of each
// non-empty key=value pair of a raw query.
func forEachParam(rawQuery string, f func(key, pair string)) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			continue
		}
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		f(key, pair)
	}
}

// withAuth returns a copy of req with body whose query carries exactly one
// auth=<token>, after the other parameters, and uuid=<userID> before it
// when the query has no uuid (see addUUID). The copy is shallow, as
// Request.WithContext makes it: only the URL and the body are replaced, and
// nothing shared with req is modified.
func withAuth(req *http.Request, token, userID string, body io.ReadCloser) *http.Request {
	a := &authRequest{r: *req, u: *req.URL}
	r, u := &a.r, &a.u
	r.URL, r.Body = u, body
	wire := sign.Encode(wireToken(token))
	var q strings.Builder
	q.Grow(len(req.URL.RawQuery) + len("&auth=") + len(wire) + len(userID) + len("uuid=&"))
	hasUUID := false
	forEachParam(req.URL.RawQuery, func(key, pair string) {
		if key == "auth" {
			return
		}
		hasUUID = hasUUID || key == "uuid"
		q.WriteString(pair)
		q.WriteByte('&')
	})
	addUUID(&q, hasUUID, userID)
	q.WriteString("auth=")
	q.WriteString(wire)
	u.RawQuery = q.String()
	u.ForceQuery = false
	return r
}

// authRequest is the copy of a request withAuth makes: request and URL in
// one allocation.
type authRequest struct {
	r http.Request
	u url.URL
}

// wireToken undoes the two ways a token commonly arrives mangled: white
// space around it, and percent-encoding (no token contains '%').
func wireToken(token string) string {
	token = strings.TrimSpace(token)
	if strings.IndexByte(token, '%') >= 0 {
		if t, err := url.PathUnescape(token); err == nil {
			return t
		}
	}
	return token
}

// replayable reports whether req can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// tokenRejected reports whether a 403 says the token is expired or revoked
// (the flat body of wire.md §4.2; the live service drops the final period).
// It reads at most maxRejectionBody bytes and puts them back in front of the
// rest of the body, so resp can still be returned as it arrived.
func tokenRejected(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, maxRejectionBody+1))
	resp.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), Closer: resp.Body}
	if err != nil || len(buf) > maxRejectionBody {
		return false
	}
	k := newAPIError(resp.StatusCode, buf, nil).kind()
	return k == answerExpired || k == answerRevoked
}

// prefixedBody is a response body partly read ahead.
type prefixedBody struct {
	io.Reader
	io.Closer
}

// discard reads a little of a response body, so the connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxRejectionBody))
	_ = resp.Body.Close()
}

// closeBody closes a request body the transport will not send, as the
// RoundTripper contract requires.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// The transport's help for the first hour: the client's uuid on calls that
// carry none, and one warning when a PubNub call misses the origin.

// addUUID writes uuid=<userID>& to q unless the query has a uuid already:
// the service checks a token bound to a uuid against the request's uuid=,
// and a call without one fails as if the uuid were wrong.
func addUUID(q *strings.Builder, hasUUID bool, userID string) {
	if hasUUID || userID == "" {
		return
	}
	q.WriteString("uuid=")
	q.WriteString(sign.Encode(userID))
	q.WriteByte('&')
}

// pubnubAPIPrefixes are the path prefixes of PubNub's REST API.
var pubnubAPIPrefixes = [...]string{"/publish/", "/signal/", "/subscribe/", "/time/", "/v1/", "/v2/", "/v3/"}

// pubnubAPI returns the PubNub API prefix u's path starts with, or "" for
// any other path and for Access Manager's own endpoints, which never carry
// a token.
func pubnubAPI(u *url.URL) string {
	p := apiPath(u)
	if strings.HasPrefix(p, "/v3/pam/") || strings.HasPrefix(p, "/v2/auth/") {
		return ""
	}
	for _, prefix := range pubnubAPIPrefixes {
		if strings.HasPrefix(p, prefix) {
			return prefix
		}
	}
	return ""
}

// apiPath returns u's escaped path, also for the opaque form "//host/path"
// the official Go SDK builds its URLs in.
func apiPath(u *url.URL) string {
	if u.Opaque == "" {
		return u.EscapedPath()
	}
	rest, ok := strings.CutPrefix(u.Opaque, "//")
	if !ok {
		return u.Opaque
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return "/"
}

// warnOffOrigin logs, once per client, a PubNub API call that goes to
// another host than the origin, and so without the token, while the client
// has a token to give: the 403 that follows reads like a missing
// permission. Requests to the origin are left to RoundTrip. Calls that carry an auth parameter of their own, or a
// signature, are left alone.
func (c *Client) warnOffOrigin(req *http.Request) {
	if c.offOriginWarned.Load() || req.URL == nil || c.isOrigin(req.URL) || !c.hasToken() {
		return
	}
	api := pubnubAPI(req.URL)
	if api == "" || hasParam(req.URL.RawQuery, "auth") || hasParam(req.URL.RawQuery, "signature") {
		return
	}
	if !c.offOriginWarned.CompareAndSwap(false, true) {
		return
	}
	c.warnLogger().LogAttrs(req.Context(), slog.LevelWarn, "pam: token not attached: request is not to the client's origin",
		slog.String("request", req.URL.Scheme+"://"+req.URL.Host),
		slog.String("origin", c.scheme+"://"+c.host),
		slog.String("api", api),
		slog.String("fix", "send PubNub calls to the origin, or set it with pam.WithOrigin to the scheme and host they go to"),
	)
}

// hasToken reports whether the client has a token to attach, or a source
// to ask for one (which is not asked here).
func (c *Client) hasToken() bool {
	return c.src != nil || c.heldToken() != ""
}

// hasParam reports whether a raw query has the parameter key.
func hasParam(rawQuery, key string) bool {
	found := false
	forEachParam(rawQuery, func(k, _ string) { found = found || k == key })
	return found
}
