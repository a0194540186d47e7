package pam_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerTransport adds a header to every request: how a device sends its
// credentials to its token endpoint.
type headerTransport struct {
	key, value string
	base       http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(t.key, t.value)
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// grantOne returns a token from the emulator, issued now.
func grantOne(t *testing.T) string {
	t.Helper()
	emu := pamtest.NewServer()
	t.Cleanup(emu.Close)
	tok, err := emu.Client().GrantToken(context.Background(), userRequest(1))
	require.NoError(t, err)
	return tok
}

func TestHTTPTokenSourceFetches(t *testing.T) {
	t.Parallel()
	token := grantOne(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		c, err := r.Cookie("session")
		if r.Method != http.MethodGet || err != nil || c.Value != "s3ss10n" || r.Header.Get("X-Device") != "d-1" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"unauthenticated"}`)
			return
		}
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"token":"`+token+`","expires_at":"2026-01-02T09:15:00Z","ttl":15}`)
	}))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "s3ss10n"}})
	hc := &http.Client{Jar: jar, Transport: headerTransport{key: "X-Device", value: "d-1"}}

	src := pam.HTTPTokenSource(srv.URL+"/pubnub-token", hc)
	for i := 1; i <= 2; i++ {
		tok, err := src.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, token, tok)
		assert.EqualValues(t, i, calls.Load(), "the source itself caches nothing")
	}
	reuse := pam.ReuseTokenSource(src, time.Minute)
	for range 3 {
		_, err := reuse.Token(context.Background())
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, calls.Load(), "ReuseTokenSource caches")

	_, err = pam.HTTPTokenSource(srv.URL, nil).Token(context.Background())
	assert.ErrorIs(t, err, pam.ErrUnauthenticated, "nil hc: a client of its own, without the cookie")
}

func TestHTTPTokenSourceErrors(t *testing.T) {
	t.Parallel()
	token := grantOne(t)
	long := strings.Repeat("x", 1000)
	tests := []struct {
		name    string
		status  int
		body    string
		is      error
		want    []string
		notWant []string
	}{
		{name: "401", status: 401, body: `{"error":"unauthenticated"}`, is: pam.ErrUnauthenticated, want: []string{"pam: token endpoint: answered 401 Unauthorized: unauthenticated"}},
		{name: "403", status: 403, body: `{"error":"forbidden"}`, is: pam.ErrPermissionDenied, want: []string{"answered 403 Forbidden: forbidden"}},
		{name: "429", status: 429, body: `{"error":"too many token requests"}`, want: []string{"answered 429 Too Many Requests: too many token requests"}},
		{name: "500, not JSON", status: 500, body: "panic: " + token, want: []string{"answered 500 Internal Server Error"}, notWant: []string{"panic", token}},
		{name: "long error text", status: 502, body: `{"error":"` + long + `"}`, want: []string{strings.Repeat("x", 200) + "…"}, notWant: []string{strings.Repeat("x", 201)}},
		{name: "control characters", status: 400, body: `{"error":"bad\nline\u001b[31m"}`, want: []string{"bad line [31m"}},
		{name: "not JSON", status: 200, body: "<html>" + token, want: []string{"the answer is not a JSON object"}, notWant: []string{token}},
		{name: "no token", status: 200, body: `{"expires_at":"2026-01-02T09:15:00Z"}`, is: pam.ErrMissingToken},
		{name: "token does not parse", status: 200, body: `{"token":"bm90LWEtdG9rZW4"}`, is: pam.ErrMalformedToken, notWant: []string{"bm90LWEtdG9rZW4"}},
		{name: "over 64 KiB", status: 200, body: `{"token":"` + token + `","pad":"` + strings.Repeat(" ", 64<<10) + `"}`, want: []string{"over 64 KiB"}, notWant: []string{token}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			tok, err := pam.HTTPTokenSource(srv.URL, nil).Token(context.Background())
			assert.Empty(t, tok)
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, err.Error(), w)
			}
		})
	}

	t.Run("exactly 64 KiB is fine", func(t *testing.T) {
		t.Parallel()
		body := `{"token":"` + token + `","pad":""}`
		body = strings.Replace(body, `""`, `"`+strings.Repeat(" ", 64<<10-len(body))+`"`, 1)
		require.Len(t, body, 64<<10)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
		t.Cleanup(srv.Close)
		tok, err := pam.HTTPTokenSource(srv.URL, nil).Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, token, tok)
	})

	t.Run("unreachable: no query in the error", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := pam.HTTPTokenSource(srv.URL+"/token?session=s3cr3t", nil).Token(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "pam: token endpoint: ")
		assert.NotContains(t, err.Error(), "s3cr3t")
	})

	t.Run("bad URL", func(t *testing.T) {
		t.Parallel()
		_, err := pam.HTTPTokenSource("http://[::1\x7f/s3cr3t", nil).Token(context.Background())
		assert.ErrorContains(t, err, "does not parse")
		assert.NotContains(t, err.Error(), "s3cr3t")
	})

	t.Run("nil context", func(t *testing.T) {
		t.Parallel()
		//nolint:staticcheck // a nil context must be an error, not a panic
		_, err := pam.HTTPTokenSource("http://127.0.0.1:1", nil).Token(nil) //lint:ignore SA1012 testing nil
		assert.ErrorContains(t, err, "nil context")
	})
}
