package pam

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mismatch between a request's host and the client's origin is not
// silent: the first PubNub API call sent elsewhere while the client has a
// token is logged once, at Warn level, with what would fix it.
func TestTransportWarnsOffOrigin(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "warn")
	tests := []struct {
		name   string
		origin string // WithOrigin; the request goes to the test server
		token  bool   // SetToken before the request
		source bool   // WithTokenSource instead
		path   string
		warn   bool
	}{
		{"host:port means https", "HOST", true, false, "/publish/p/s/0/ch/0/1", true},
		{"localhost is not 127.0.0.1", "http://localhost:PORT", true, false, "/v2/subscribe/s/ch/0", true},
		{"token source counts as a token", "HOST", false, true, "/v3/history/sub-key/s/channel/ch", true},
		{"signal", "HOST", true, false, "/signal/p/s/0/ch/0/1", true},
		{"time", "HOST", true, false, "/time/0", true},
		{"origin itself", "URL", true, false, "/publish/p/s/0/ch/0/1", false},
		{"no token", "HOST", false, false, "/publish/p/s/0/ch/0/1", false},
		{"not a PubNub path", "HOST", true, false, "/api/token", false},
		{"Access Manager's own endpoint", "HOST", true, false, "/v3/pam/s/grant", false},
		{"own auth parameter", "HOST", true, false, "/publish/p/s/0/ch/0/1?auth=theirs", false},
		{"signed", "HOST", true, false, "/publish/p/s/0/ch/0/1?signature=v2.x&timestamp=1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newAuthServer(t, nil)
			u, err := url.Parse(srv.URL)
			require.NoError(t, err)
			origin := strings.NewReplacer("HOST", u.Host, "PORT", u.Port(), "URL", srv.URL).Replace(tc.origin)
			logs := newLogCapture(slog.LevelDebug)
			opts := []Option{WithOrigin(origin), WithLogger(slog.New(logs))}
			if tc.source {
				opts = append(opts, WithTokenSource(&countingSource{tokens: []string{tok}}))
			}
			c, hc := authClient(t, srv, opts...)
			if tc.token {
				c.SetToken(tok)
			}
			for range 3 {
				get(t, hc, srv.URL+tc.path)
			}
			recs := logs.records()
			if !tc.warn {
				assert.Empty(t, recs, logs.String())
				return
			}
			require.Len(t, recs, 1, "once per client, however many requests: %s", logs.String())
			r := recs[0]
			assert.Equal(t, slog.LevelWarn, r.Level)
			assert.Equal(t, "pam: token not attached: request is not to the client's origin", r.Message)
			attrs := map[string]string{}
			r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			assert.Equal(t, srv.URL, attrs["request"])
			assert.Equal(t, c.scheme+"://"+c.host, attrs["origin"])
			assert.NotEqual(t, attrs["origin"], attrs["request"])
			assert.Contains(t, tc.path, attrs["api"])
			assert.Contains(t, attrs["fix"], "pam.WithOrigin")
			assert.NotContains(t, logs.String(), tok[:16], "the token is never logged")
			for _, q := range srv.seen() {
				assert.NotContains(t, q, "auth=", "the token stays off other hosts")
			}
		})
	}
}

// Without WithLogger the warning still reaches someone: slog.Default().
// Not parallel: it replaces the default logger for its duration.
func TestTransportWarnsOffOriginToDefaultLogger(t *testing.T) { //nolint:paralleltest // swaps slog.Default
	logs := newLogCapture(slog.LevelInfo)
	prev := slog.Default()
	slog.SetDefault(slog.New(logs))
	t.Cleanup(func() { slog.SetDefault(prev) })

	srv := newAuthServer(t, nil)
	c, err := New(testKeys) // origin https://ps.pndsn.com, no logger
	require.NoError(t, err)
	c.SetToken(mkToken(t, t0, time.Hour, "default"))
	hc := &http.Client{Transport: c.Transport(nil)}
	get(t, hc, srv.URL+"/publish/p/s/0/ch/0/1")
	get(t, hc, srv.URL+"/publish/p/s/0/ch/0/2")
	recs := logs.records()
	require.Len(t, recs, 1)
	assert.Equal(t, slog.LevelWarn, recs[0].Level)
	assert.Contains(t, logs.String(), "origin=https://ps.pndsn.com")
}

// Concurrent requests off the origin warn exactly once.
func TestTransportWarnsOffOriginOnce(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, nil)
	logs := newLogCapture(slog.LevelDebug)
	c, err := New(testKeys, WithLogger(slog.New(logs)))
	require.NoError(t, err)
	c.SetToken(mkToken(t, t0, time.Hour, "once"))
	hc := &http.Client{Transport: c.Transport(nil)}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hc.Get(srv.URL + "/publish/p/s/0/ch/0/1")
			if assert.NoError(t, err) {
				_ = resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, logs.records(), 1)
}

// The client's uuid goes with the token, so that a token bound to that uuid
// works on calls built without one; a uuid already there is kept.
func TestTransportAddsUUID(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "uuid")
	srv := newAuthServer(t, nil)
	c, hc := authClient(t, srv, WithUserID("user 1/ä"))
	get(t, hc, srv.URL+"/time/0?a=1") // no token: untouched
	c.SetToken(tok)
	get(t, hc, srv.URL+"/time/0?a=1")
	get(t, hc, srv.URL+"/time/0?uuid=other&a=1")
	get(t, hc, srv.URL+"/v3/pam/s/grant?a=1") // exempt: untouched
	enc := url.QueryEscape(tok)
	assert.Equal(t, []string{
		"a=1",
		"a=1&uuid=user%201%2F%C3%A4&auth=" + enc,
		"uuid=other&a=1&auth=" + enc,
		"a=1",
	}, srv.seen())
}

// apiPath reads the path of the URLs the official Go SDK builds
// (url.URL{Opaque: "//host/path"}) as well as ordinary ones, so that
// exemptions and the warning apply to both.
func TestAPIPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		u    *url.URL
		want string
		api  string
	}{
		{&url.URL{Scheme: "https", Host: "h", Path: "/publish/p/s/0/a b/0/1"}, "/publish/p/s/0/a%20b/0/1", "/publish/"},
		{&url.URL{Scheme: "http", Host: "h:1", Opaque: "//h:1/v2/subscribe/s/ch/0"}, "/v2/subscribe/s/ch/0", "/v2/"},
		{&url.URL{Scheme: "http", Host: "h:1", Opaque: "//h:1/v3/pam/s/grant"}, "/v3/pam/s/grant", ""},
		{&url.URL{Scheme: "http", Host: "h:1", Opaque: "//h:1"}, "/", ""},
		{&url.URL{Scheme: "http", Host: "h", Opaque: "/time/0"}, "/time/0", "/time/"},
		{&url.URL{Scheme: "https", Host: "h", Path: "/v2/auth/grant/sub-key/s"}, "/v2/auth/grant/sub-key/s", ""},
		{&url.URL{Scheme: "https", Host: "h", Path: "/publisher/x"}, "/publisher/x", ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, apiPath(tc.u), tc.u.String())
		assert.Equal(t, tc.api, pubnubAPI(tc.u), tc.u.String())
	}
}

// A request in the official SDK's opaque form to the origin gets the token
// and the uuid like any other.
func TestTransportOpaqueURL(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, t0, time.Hour, "opaque")
	srv := newAuthServer(t, nil)
	c, hc := authClient(t, srv)
	c.SetToken(tok)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.URL = &url.URL{Scheme: "http", Host: u.Host, Opaque: "//" + u.Host + "/v3/pam/s/grant", RawQuery: "a=1"}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	req.URL = &url.URL{Scheme: "http", Host: u.Host, Opaque: "//" + u.Host + "/publish/p/s/0/ch/0/1", RawQuery: "a=1"}
	resp, err = hc.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, []string{"a=1", "a=1&" + uid + "auth=" + url.QueryEscape(tok)}, srv.seen())
}
