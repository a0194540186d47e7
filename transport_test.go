package pam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authServer is an httptest server that records each request's raw query
// and answers with respond (200 "ok" when nil).
type authServer struct {
	*httptest.Server
	mu      sync.Mutex
	queries []string
	bodies  []string
	respond func(w http.ResponseWriter, r *http.Request)
}

func newAuthServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *authServer {
	t.Helper()
	s := &authServer{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.RawQuery)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		if s.respond != nil {
			s.respond(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *authServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

func (s *authServer) hits() int { return len(s.seen()) }

// authClient returns a client whose origin is srv, and an HTTP client using
// its Transport.
func authClient(t *testing.T, srv *authServer, opts ...Option) (*Client, *http.Client) {
	t.Helper()
	c, err := New(testKeys, append([]Option{WithOrigin(srv.URL), WithUserID("device-1")}, opts...)...)
	require.NoError(t, err)
	return c, &http.Client{Transport: c.Transport(nil)}
}

// uid is the query pair the transport adds, before auth, to requests of
// authClient's clients that carry no uuid.
const uid = "uuid=device-1&"

// get sends GET path?query and returns status and body.
func get(t *testing.T, hc *http.Client, rawURL string) (int, string) {
	t.Helper()
	resp, err := hc.Get(rawURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

const (
	bodyExpired   = `{"error":true,"status":403,"service":"Access Manager","message":"Token is expired."}`
	bodyRevoked   = `{"error":true,"status":403,"service":"Access Manager","message":"Token is revoked"}`
	bodyForbidden = `{"message":"Forbidden","payload":{"channels":["room-1"]},"error":true,"service":"Access Manager","status":403}`
)

func TestTransportQuery(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "q") // ends in '='
	require.True(t, strings.HasSuffix(tok, "="), "the test token must be padded")
	enc := strings.ReplaceAll(tok, "=", "%3D")
	tests := []struct {
		name, query, want string
	}{
		{"no query", "", uid + "auth=" + enc},
		{"other params kept in order", "uuid=u-1&pnsdk=x%2Fy&b=2", "uuid=u-1&pnsdk=x%2Fy&b=2&auth=" + enc},
		{"auth replaced", "auth=old&a=1", "a=1&" + uid + "auth=" + enc},
		{"every auth replaced", "auth=one&a=1&auth=two&b=x%20y&auth=", "a=1&b=x%20y&" + uid + "auth=" + enc},
		{"encoded key", "%61uth=old&c=3", "c=3&" + uid + "auth=" + enc},
		{"empty pairs dropped", "a=1&&b=2&", "a=1&b=2&" + uid + "auth=" + enc},
		{"authx is another param", "authx=1", "authx=1&" + uid + "auth=" + enc},
		{"empty uuid kept", "uuid=&a=1", "uuid=&a=1&auth=" + enc},
		{"encoded uuid key kept", "%75uid=u-2", "%75uid=u-2&auth=" + enc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newAuthServer(t, nil)
			c, hc := authClient(t, srv)
			c.SetToken(tok)
			u := srv.URL + "/publish/p/s/0/ch/0/%22hi%22"
			if tc.query != "" {
				u += "?" + tc.query
			}
			req, err := http.NewRequest(http.MethodGet, u, nil)
			require.NoError(t, err)
			before := req.URL.String()
			resp, err := hc.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, before, req.URL.String(), "the caller's request is not modified")
			got := srv.seen()
			require.Len(t, got, 1)
			assert.Equal(t, tc.want, got[0])
			q, err := url.ParseQuery(got[0])
			require.NoError(t, err)
			assert.Equal(t, []string{tok}, q["auth"], "exactly one auth, decoding to the token")
		})
	}
}

func TestTransportWireToken(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "wire")
	enc := strings.ReplaceAll(tok, "=", "%3D")
	for name, set := range map[string]string{
		"as granted":       tok,
		"percent-encoded":  enc,
		"with white space": " " + tok + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newAuthServer(t, nil)
			c, hc := authClient(t, srv)
			c.SetToken(set)
			assert.Equal(t, set, c.Token(), "Token returns what was set")
			get(t, hc, srv.URL+"/time/0")
			assert.Equal(t, []string{uid + "auth=" + enc}, srv.seen(), "encoded exactly once")
		})
	}
}

func TestTransportTokenReadPerRequest(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, nil)
	c, hc := authClient(t, srv) // configured before any token is set
	a, b := mkToken(t, t0, time.Hour, "a"), mkToken(t, t0, time.Hour, "bb")

	assert.Empty(t, c.Token())
	get(t, hc, srv.URL+"/time/0?x=1")
	c.SetToken(a)
	assert.Equal(t, a, c.Token())
	get(t, hc, srv.URL+"/time/0?x=1")
	c.SetToken(b)
	get(t, hc, srv.URL+"/time/0?x=1")
	c.SetToken("")
	assert.Empty(t, c.Token())
	get(t, hc, srv.URL+"/time/0?x=1")
	get(t, hc, srv.URL+"/time/0?x=1&auth=legacy-auth-key") // no token: untouched

	want := []string{
		"x=1",
		"x=1&" + uid + "auth=" + url.QueryEscape(a),
		"x=1&" + uid + "auth=" + url.QueryEscape(b),
		"x=1",
		"x=1&auth=legacy-auth-key",
	}
	assert.Equal(t, want, srv.seen())
}

func TestTransportOtherHostsUntouched(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "leak")
	other := newAuthServer(t, nil)
	origin := newAuthServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing?from=origin", http.StatusFound)
	})
	c, hc := authClient(t, origin)
	c.SetToken(tok)

	get(t, hc, other.URL+"/publish/p/s/0/ch/0/1?a=1&auth=theirs")
	get(t, hc, origin.URL+"/v2/whatever?b=2") // redirected to other

	assert.Equal(t, []string{"b=2&" + uid + "auth=" + url.QueryEscape(tok)}, origin.seen())
	assert.Equal(t, []string{"a=1&auth=theirs", "from=origin"}, other.seen(), "no token to a third party, not even after a redirect")
}

func TestTransportExempt(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, nil)
	c, hc := authClient(t, srv)
	c.SetToken(mkToken(t, t0, time.Hour, "x"))
	for _, pq := range []string{
		"/v3/pam/sub/grant?uuid=u&timestamp=1&signature=v2.abc",
		"/v3/pam/sub/grant/tok",
		"/v2/auth/grant/sub-key/sub?x=1",
		"/publish/p/s/0/ch/0/1?uuid=u&timestamp=1&signature=v2.abc",
	} {
		get(t, hc, srv.URL+pq)
	}
	assert.Equal(t, []string{
		"uuid=u&timestamp=1&signature=v2.abc",
		"",
		"x=1",
		"uuid=u&timestamp=1&signature=v2.abc",
	}, srv.seen())
}

func TestIsOrigin(t *testing.T) {
	t.Parallel()
	def, err := New(testKeys)
	require.NoError(t, err)
	local, err := New(testKeys, WithOrigin("http://127.0.0.1:8090"))
	require.NoError(t, err)
	tests := []struct {
		c    *Client
		url  string
		want bool
	}{
		{def, "https://ps.pndsn.com/time/0", true},
		{def, "https://PS.pndsn.com:443/time/0", true},
		{def, "http://ps.pndsn.com/time/0", false}, // never in clear text
		{def, "https://ps.pndsn.com:8443/time/0", false},
		{def, "https://ps.pndsn.com.evil.example/time/0", false},
		{def, "https://evil.example/ps.pndsn.com", false},
		{local, "http://127.0.0.1:8090/x", true},
		{local, "http://127.0.0.1:8091/x", false},
		{local, "http://localhost:8090/x", false},
		{local, "https://127.0.0.1:8090/x", false},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.url)
		require.NoError(t, err)
		assert.Equal(t, tc.want, tc.c.isOrigin(u), tc.url)
	}
}

func TestTransportTokenSource(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	a := mkToken(t, t0, 10*time.Minute, "a")
	b := mkToken(t, t0.Add(9*time.Minute), 10*time.Minute, "bb")
	src := &countingSource{tokens: []string{a, b}}
	srv := newAuthServer(t, nil)
	c, hc := authClient(t, srv, WithClock(clk.now), WithTokenSource(ReuseTokenSource(src, time.Minute)))

	assert.Empty(t, c.Token(), "nothing fetched yet")
	get(t, hc, srv.URL+"/time/0")
	get(t, hc, srv.URL+"/time/0")
	assert.EqualValues(t, 1, src.calls.Load())
	assert.Equal(t, a, c.Token(), "the last token the source returned")

	clk.add(9 * time.Minute) // the client's clock decides the refresh
	get(t, hc, srv.URL+"/time/0")
	assert.EqualValues(t, 2, src.calls.Load())
	assert.Equal(t, b, c.Token())

	set := mkToken(t, t0, time.Hour, "set")
	c.SetToken(set) // overrides the source
	get(t, hc, srv.URL+"/time/0")
	assert.Equal(t, set, c.Token())
	c.SetToken("") // back to the source
	get(t, hc, srv.URL+"/time/0")
	assert.Equal(t, b, c.Token())
	assert.EqualValues(t, 2, src.calls.Load())

	assert.Equal(t, []string{
		uid + "auth=" + url.QueryEscape(a), uid + "auth=" + url.QueryEscape(a), uid + "auth=" + url.QueryEscape(b),
		uid + "auth=" + url.QueryEscape(set), uid + "auth=" + url.QueryEscape(b),
	}, srv.seen())
}

func TestTransportPlainSourceAskedEachTime(t *testing.T) {
	t.Parallel()
	a := mkToken(t, t0, time.Hour, "a")
	src := &countingSource{tokens: []string{a}}
	srv := newAuthServer(t, nil)
	_, hc := authClient(t, srv, WithTokenSource(src))
	for range 3 {
		get(t, hc, srv.URL+"/time/0")
	}
	assert.EqualValues(t, 3, src.calls.Load())
}

// closeRecorder is a request body that records Close.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (r *closeRecorder) Close() error { r.closed.Store(true); return nil }

func TestTransportSourceError(t *testing.T) {
	t.Parallel()
	boom := errors.New("auth server down")
	good := mkToken(t, time.Now(), time.Hour, "good")
	src := &countingSource{err: boom}
	srv := newAuthServer(t, nil)
	_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))

	body := &closeRecorder{Reader: strings.NewReader("{}")}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/files?x=1", body)
	require.NoError(t, err)
	_, err = hc.Do(req)
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "pam: token source: auth server down")
	assert.True(t, body.closed.Load(), "the request body is closed")
	assert.Zero(t, srv.hits(), "nothing sent without the token")

	src.mu.Lock()
	src.err, src.tokens = nil, []string{good}
	src.mu.Unlock()
	status, _ := get(t, hc, srv.URL+"/time/0")
	assert.Equal(t, http.StatusOK, status, "the next request tries again")
	assert.EqualValues(t, 2, src.calls.Load())
}

// rejecting answers 403 with body to requests carrying one of the bad
// tokens, and 200 "ok" to the others.
func rejecting(body string, bad ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.URL.Query().Get("auth")
		for _, b := range bad {
			if auth == b {
				w.Header().Set("Content-Type", "text/javascript; charset=UTF-8")
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, body)
				return
			}
		}
		_, _ = io.WriteString(w, "ok")
	}
}

func TestTransportRefreshOn403(t *testing.T) {
	t.Parallel()
	old := mkToken(t, time.Now(), time.Hour, "old")
	fresh := mkToken(t, time.Now(), time.Hour, "fresh")
	enc := func(s string) string { return uid + "auth=" + url.QueryEscape(s) }

	for _, body := range []string{bodyExpired, bodyRevoked} {
		t.Run(body[len(body)-20:], func(t *testing.T) {
			t.Parallel()
			src := &countingSource{tokens: []string{old, fresh}}
			srv := newAuthServer(t, rejecting(body, old))
			c, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
			status, got := get(t, hc, srv.URL+"/time/0")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "ok", got)
			assert.Equal(t, []string{enc(old), enc(fresh)}, srv.seen(), "retried once with the new token")
			assert.EqualValues(t, 2, src.calls.Load(), "refreshed once")
			assert.Equal(t, fresh, c.Token())
		})
	}

	t.Run("retry also rejected", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{old, fresh}}
		srv := newAuthServer(t, rejecting(bodyExpired, old, fresh))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		status, got := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, bodyExpired, got, "the second answer is returned as it came")
		assert.Equal(t, 2, srv.hits(), "never more than one retry")
		assert.EqualValues(t, 2, src.calls.Load())
	})
	t.Run("other 403 is not retried", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{old, fresh}}
		srv := newAuthServer(t, rejecting(bodyForbidden, old))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		status, got := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, bodyForbidden, got, "body intact")
		assert.Equal(t, 1, srv.hits())
		assert.EqualValues(t, 1, src.calls.Load())
	})
	t.Run("large 403 body is returned intact", func(t *testing.T) {
		t.Parallel()
		big := `{"message":"Token is expired.","pad":"` + strings.Repeat("x", 3*maxRejectionBody) + `"}`
		src := &countingSource{tokens: []string{old, fresh}}
		srv := newAuthServer(t, rejecting(big, old))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		status, got := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, big, got)
		assert.Equal(t, 1, srv.hits())
	})
	t.Run("source returns the same token", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{old}}
		srv := newAuthServer(t, rejecting(bodyRevoked, old))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		status, got := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, bodyRevoked, got)
		assert.Equal(t, 1, srv.hits(), "no point sending the same token again")
		assert.EqualValues(t, 2, src.calls.Load())
	})
	t.Run("refresh fails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("no more tokens")
		var calls atomic.Int32
		ts := tokenSourceFunc(func(context.Context) (string, error) {
			if calls.Add(1) == 1 {
				return old, nil
			}
			return "", boom
		})
		srv := newAuthServer(t, rejecting(bodyExpired, old))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(ts, 0)))
		_, err := hc.Get(srv.URL + "/time/0")
		require.ErrorIs(t, err, boom)
		assert.Equal(t, 1, srv.hits())
	})
	t.Run("no source: no retry", func(t *testing.T) {
		t.Parallel()
		srv := newAuthServer(t, rejecting(bodyExpired, old))
		c, hc := authClient(t, srv)
		c.SetToken(old)
		status, got := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, bodyExpired, got)
		assert.Equal(t, 1, srv.hits())
	})
	t.Run("set token overrides the source: no retry", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{fresh}}
		srv := newAuthServer(t, rejecting(bodyExpired, old))
		c, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		c.SetToken(old)
		status, _ := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, 1, srv.hits())
		assert.Zero(t, src.calls.Load())
	})
	t.Run("plain source asked again", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{old, fresh}}
		srv := newAuthServer(t, rejecting(bodyExpired, old))
		_, hc := authClient(t, srv, WithTokenSource(src))
		status, _ := get(t, hc, srv.URL+"/time/0")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, []string{enc(old), enc(fresh)}, srv.seen())
		assert.EqualValues(t, 2, src.calls.Load())
	})
	t.Run("body replayed with GetBody", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{old, fresh}}
		srv := newAuthServer(t, rejecting(bodyExpired, old))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		resp, err := hc.Post(srv.URL+"/v1/objects?x=1", "application/json", bytes.NewReader([]byte(`{"a":1}`)))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, []string{"x=1&" + enc(old), "x=1&" + enc(fresh)}, srv.seen())
		srv.mu.Lock()
		assert.Equal(t, []string{`{"a":1}`, `{"a":1}`}, srv.bodies)
		srv.mu.Unlock()
	})
	t.Run("body without GetBody not replayed", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{old, fresh}}
		srv := newAuthServer(t, rejecting(bodyExpired, old))
		_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
		body := &closeRecorder{Reader: strings.NewReader(`{"a":1}`)}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/objects", body)
		require.NoError(t, err)
		require.Nil(t, req.GetBody)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Equal(t, bodyExpired, string(b))
		assert.Equal(t, 1, srv.hits())
		assert.EqualValues(t, 1, src.calls.Load())
	})
}

// Concurrent 403s for the same token cause one refresh, and every request
// is retried exactly once.
func TestTransportConcurrent403OneRefresh(t *testing.T) {
	t.Parallel()
	const n = 200
	old := mkToken(t, time.Now(), time.Hour, "old")
	fresh := mkToken(t, time.Now(), time.Hour, "fresh")
	src := &countingSource{tokens: []string{old, fresh}}
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	srv := newAuthServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("auth") == old {
			arrived.Done()
			<-all // every request holds the old token before any is rejected
		}
		rejecting(bodyExpired, old)(w, r)
	})
	c, _ := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: c.Transport(tr)}

	_, _, err := c.currentToken(context.Background()) // cache old
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hc.Get(srv.URL + "/time/0")
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, src.calls.Load(), "one initial fetch, one refresh")
	count := map[string]int{}
	for _, q := range srv.seen() {
		count[q]++
	}
	assert.Equal(t, map[string]int{uid + "auth=" + url.QueryEscape(old): n, uid + "auth=" + url.QueryEscape(fresh): n}, count)
}

// Hundreds of goroutines set tokens and send requests; run with -race.
func TestTransportConcurrentSetToken(t *testing.T) {
	t.Parallel()
	const workers = 400
	tokens := make([]string, 8)
	valid := map[string]bool{}
	for i := range tokens {
		tokens[i] = mkToken(t, t0, time.Hour, strings.Repeat("t", i+1))
		valid[tokens[i]] = true
	}
	var bad atomic.Int32
	srv := newAuthServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth := r.URL.Query()["auth"]
		// One auth: a token set, or, while none is set, the request's own.
		if len(auth) != 1 || (!valid[auth[0]] && auth[0] != "stale") || r.URL.Query().Get("i") == "" {
			bad.Add(1)
		}
		_, _ = io.WriteString(w, "ok")
	})
	c, hc := authClient(t, srv)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0:
				c.SetToken(tokens[i%len(tokens)])
			case 1:
				c.SetToken("")
			case 2:
				_ = c.Token()
			}
			resp, err := hc.Get(fmt.Sprintf("%s/time/0?i=%d&auth=stale", srv.URL, i))
			if err != nil {
				bad.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}()
	}
	wg.Wait()
	assert.Zero(t, bad.Load())
	assert.Equal(t, workers, srv.hits())
}

func TestTransportErrorHasNoToken(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "private")
	c, err := New(testKeys, WithOrigin("http://127.0.0.1:1")) // nothing listens
	require.NoError(t, err)
	c.SetToken(tok)
	_, err = (&http.Client{Transport: c.Transport(nil)}).Get("http://127.0.0.1:1/time/0?x=1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), tok[:20])
	assert.NotContains(t, err.Error(), "auth=")
}

func runtimeGosched() { runtime.Gosched() }

// FuzzWithAuth: whatever the query, the token and the uuid, the request sent
// has exactly one auth, decoding to the token, after every other pair of the
// original query, unchanged and in order; a uuid pair decoding to the
// client's uuid just before auth when the query had no uuid (and a uuid to
// add), and none added otherwise; the original is not modified.
func FuzzWithAuth(f *testing.F) {
	f.Add("a=1&auth=x&b=2", "p0F2AkF0Gl043rhDdHRsGDw=", "device-1")
	f.Add("", "tok%3D%3D", "")
	f.Add("%61uth=1&&auth&=&%zz=1", " t+/ \n", "a b/ä")
	f.Add("%75uid=x&auth=1", "t", "u")
	f.Fuzz(func(t *testing.T, rawQuery, token, userID string) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/x", nil)
		require.NoError(t, err)
		req.URL.RawQuery = rawQuery
		r := withAuth(req, token, userID, nil)
		require.Equal(t, rawQuery, req.URL.RawQuery, "original modified")

		var want, others, auths []string
		hadUUID := false
		forEachParam(rawQuery, func(key, pair string) {
			hadUUID = hadUUID || key == "uuid"
			if key != "auth" {
				want = append(want, pair)
			}
		})
		for _, pair := range strings.Split(r.URL.RawQuery, "&") {
			if k, v, _ := strings.Cut(pair, "="); k == "auth" {
				auths = append(auths, v)
			} else {
				others = append(others, pair)
			}
		}
		require.Len(t, auths, 1, r.URL.RawQuery)
		got, err := url.QueryUnescape(auths[0])
		require.NoError(t, err)
		require.Equal(t, wireToken(token), got)
		if !hadUUID && userID != "" {
			require.NotEmpty(t, others)
			added := others[len(others)-1]
			others = others[:len(others)-1]
			if len(others) == 0 {
				others = nil
			}
			v, ok := strings.CutPrefix(added, "uuid=")
			require.True(t, ok, added)
			dec, err := url.QueryUnescape(v)
			require.NoError(t, err)
			require.Equal(t, userID, dec)
		}
		require.Equal(t, want, others)
	})
}

// BenchmarkTransport measures what Client.Transport adds to a PubNub call:
// "base" sends a publish request straight to an in-memory RoundTripper,
// "auth" sends it through Transport with a token set, which checks the
// origin and rewrites the query with auth=. The difference is the cost of
// the rewrite per request.
func BenchmarkTransport(b *testing.B) {
	res := &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}
	base := roundTripFunc(func(*http.Request) (*http.Response, error) { return res, nil })
	c, err := New(Keys{Subscribe: "sub-c-bench"}, WithUserID("user-1"))
	if err != nil {
		b.Fatal(err)
	}
	c.SetToken(grantOKToken)
	req, err := http.NewRequest(http.MethodGet, "https://ps.pndsn.com/publish/pub-c-bench/sub-c-bench/0/room-1/0/%22hi%22?uuid=user-1&pnsdk=app%2F1.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rt   http.RoundTripper
	}{{"base", base}, {"auth", c.Transport(base)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
