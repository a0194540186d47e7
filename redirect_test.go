package pam

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redirectingOrigin answers every request with status and a Location on
// target (keeping the path and query), and counts what it gets.
func redirectingOrigin(t *testing.T, status int, target func() string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Location", target()+r.URL.RequestURI())
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestSignedRequestsNeverFollowRedirects: an origin answering a redirect to
// another server gets an error that says so and where to point WithOrigin;
// the other server receives nothing from grant or revoke (no body, no
// signed URL, no token), whatever the caller's HTTP client would do.
func TestSignedRequestsNeverFollowRedirects(t *testing.T) {
	t.Parallel()
	token := mkToken(t, time.Now(), time.Hour, "redirected")
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			var elsewhere atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				elsewhere.Add(1)
				_, _ = w.Write([]byte(`{"data":{"token":"` + token + `"},"status":200}`))
			}))
			t.Cleanup(other.Close)
			origin, hits := redirectingOrigin(t, status, func() string { return other.URL })

			// The caller's client follows redirects and says so.
			var followed atomic.Int32
			callers := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { followed.Add(1); return nil }}
			c, err := New(testKeys, WithOrigin(origin.URL), WithHTTPClient(callers), WithRetry(RetryPolicy{MaxAttempts: 1}))
			require.NoError(t, err)

			got, err := c.GrantToken(context.Background(), grantReq)
			assert.Empty(t, got)
			requireRedirectError(t, err, status, other.URL)
			err = c.RevokeToken(context.Background(), token)
			requireRedirectError(t, err, status, other.URL)
			assert.NotContains(t, err.Error(), token)

			assert.EqualValues(t, 2, hits.Load())
			assert.Zero(t, elsewhere.Load(), "the other host received a signed request")
			assert.Zero(t, followed.Load(), "the caller's CheckRedirect was consulted")
			require.NotNil(t, callers.CheckRedirect, "the caller's client was changed")
			assert.NoError(t, callers.CheckRedirect(nil, nil))
		})
	}
}

func requireRedirectError(t *testing.T, err error, status int, target string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "redirect")
	assert.Contains(t, msg, target, "names where the redirect points")
	assert.Contains(t, msg, "WithOrigin")
	assert.NotContains(t, msg, "signature")
	assert.NotContains(t, msg, "?")
	assert.NotContains(t, msg, "timestamp=")
	var re *redirectError
	require.True(t, errors.As(err, &re))
	assert.Equal(t, status, re.status)
}

// TestRedirectOnOrigin: a redirect within the origin, a loop, or one with no
// usable Location is still an error with a readable origin in it.
func TestRedirectOnOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		location func(self string) string
		want     string
	}{
		{"loop", func(self string) string { return self + "/v3/pam/mySubKey/grant?x=1" }, "another path on the origin"},
		{"relative", func(string) string { return "/elsewhere?signature=v2.abc" }, "another path on the origin"},
		{"no location", func(string) string { return "" }, "without a Location"},
		{"garbage location", func(string) string { return "http://[::1" }, "without a Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var self string
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				if loc := tt.location(self); loc != "" {
					w.Header().Set("Location", loc)
				}
				w.WriteHeader(http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			self = srv.URL
			c, err := New(testKeys, WithOrigin(srv.URL))
			require.NoError(t, err)
			_, err = c.GrantToken(context.Background(), grantReq)
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, "redirect")
			assert.Contains(t, msg, tt.want)
			assert.Contains(t, msg, srv.URL, "the origin is named, readable")
			assert.NotContains(t, msg, ":///")
			assert.NotContains(t, msg, "signature")
			assert.EqualValues(t, 1, hits.Load(), "a redirect is not retried")
		})
	}
}

// TestRedactURLErrorReadable: a transport error whose URL has no scheme or
// host still names the origin.
func TestRedactURLErrorReadable(t *testing.T) {
	t.Parallel()
	c, err := New(testKeys, WithOrigin("http://127.0.0.1:1"))
	require.NoError(t, err)
	for _, raw := range []string{"/v3/pam/mySubKey/grant?signature=v2.x", "", "%zz"} {
		e := c.redactURLError(&url.Error{Op: "Post", URL: raw, Err: errors.New("stopped after 10 redirects")})
		assert.NotContains(t, e.Error(), ":///", raw)
		assert.NotContains(t, e.Error(), "signature", raw)
		assert.True(t, strings.Contains(e.Error(), "http://127.0.0.1:1"), e.Error())
	}
}
