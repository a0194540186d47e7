package pam_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deviceAuthorize is a token endpoint's authorize: the X-User header stands
// for a session. No header is unauthenticated; "mallory" is refused; "nil"
// and "invalid" are bugs on the server's side.
func deviceAuthorize(r *http.Request) (*pam.TokenRequest, error) {
	switch user := r.Header.Get("X-User"); user {
	case "":
		return nil, fmt.Errorf("no session cookie: %w", pam.ErrUnauthenticated)
	case "mallory":
		return nil, errors.New("mallory is banned (internal note 42)")
	case "nil":
		return nil, nil
	case "invalid":
		return pam.NewTokenRequest(15 * time.Minute), nil // grants nothing
	default:
		return pam.NewTokenRequest(15*time.Minute).AuthorizedUUID(user).Channel("room-1", pam.Read|pam.Write), nil
	}
}

// granterFunc is a Granter made of a function.
type granterFunc func(ctx context.Context, r *pam.TokenRequest) (string, error)

func (f granterFunc) GrantToken(ctx context.Context, r *pam.TokenRequest) (string, error) {
	return f(ctx, r)
}

// tokenAnswer is a token endpoint's 200 answer.
type tokenAnswer struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	TTL       int    `json:"ttl"`
}

func TestTokenHandler(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer // written only inside ServeHTTP, called synchronously below
	v := newVend(t, pamtest.WithMaxTTL(20))
	logged, err := pam.New(v.keys, pam.WithOrigin(v.srv.URL), pam.WithClock(v.clk.now),
		pam.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	cache, err := pam.NewGrantCache(logged, pam.CacheConfig{})
	require.NoError(t, err)
	slow, err := pam.NewGrantCache(logged, pam.CacheConfig{GrantsPerSecond: 0.01}) // one grant, then one per 100 s
	require.NoError(t, err)
	_, err = slow.GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("warm-up", pam.Read))
	require.NoError(t, err)
	secretish := errors.New("upstream said: key " + v.keys.Secret + " signature=abc token=qEF2AkF0")

	tests := []struct {
		name       string
		g          pam.Granter
		method     string
		user       string
		deadline   bool // the request's context has a deadline
		status     int
		header     map[string]string
		errorText  string // the "error" of the answer
		log        string // in the operator's log
		authorized string // the 200's token is for this uuid
	}{
		{name: "GET through the cache", g: cache, method: http.MethodGet, user: "alice", status: 200, authorized: "alice"},
		{name: "POST through the cache", g: cache, method: http.MethodPost, user: "bob", status: 200, authorized: "bob"},
		{name: "GET through a client", g: logged, method: http.MethodGet, user: "carol", status: 200, authorized: "carol"},
		{name: "PUT", g: cache, method: http.MethodPut, user: "alice", status: 405, header: map[string]string{"Allow": "GET, POST"}, errorText: "method not allowed; use GET or POST"},
		{name: "HEAD", g: cache, method: http.MethodHead, user: "alice", status: 405, header: map[string]string{"Allow": "GET, POST"}},
		{name: "unauthenticated", g: cache, method: http.MethodGet, status: 401, errorText: "unauthenticated", log: "no session cookie"},
		{name: "refused", g: cache, method: http.MethodGet, user: "mallory", status: 403, errorText: "forbidden", log: "internal note 42"},
		{name: "nil request", g: cache, method: http.MethodGet, user: "nil", status: 500, errorText: "internal error", log: "authorize returned a nil *TokenRequest"},
		{name: "invalid request", g: cache, method: http.MethodGet, user: "invalid", status: 500, errorText: "internal error", log: "the request grants nothing"},
		{name: "nil granter", g: nil, method: http.MethodGet, user: "alice", status: 500, errorText: "internal error"},
		{name: "service refuses", g: granterFunc(func(ctx context.Context, r *pam.TokenRequest) (string, error) {
			return logged.GrantToken(ctx, pam.NewTokenRequest(30*time.Minute).Channel("room-1", pam.Read)) // over the emulator's 20
		}), method: http.MethodGet, user: "alice", status: 502, errorText: "the token service is unavailable; retry later", log: "Invalid ttl"},
		{name: "granter error with secrets in it", g: granterFunc(func(context.Context, *pam.TokenRequest) (string, error) {
			return "", secretish
		}), method: http.MethodGet, user: "alice", status: 502, errorText: "the token service is unavailable; retry later"},
		{name: "granter answers garbage", g: granterFunc(func(context.Context, *pam.TokenRequest) (string, error) {
			return "not-a-token", nil
		}), method: http.MethodGet, user: "alice", status: 502},
		{name: "local rate limit", g: slow, method: http.MethodGet, user: "alice", deadline: true, status: 429, header: map[string]string{"Retry-After": "100"}, errorText: "too many token requests; retry after the time in Retry-After"},
		{name: "another granter's rate limit", g: granterFunc(func(context.Context, *pam.TokenRequest) (string, error) {
			return "", fmt.Errorf("busy: %w", pam.ErrRateLimited)
		}), method: http.MethodGet, user: "alice", status: 429, header: map[string]string{"Retry-After": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { //nolint:paralleltest // shares the log buffer
			logs.Reset()
			h := pam.TokenHandler(tt.g, deviceAuthorize)
			req := httptest.NewRequest(tt.method, "/pubnub-token", nil)
			if tt.user != "" {
				req.Header.Set("X-User", tt.user)
			}
			if tt.deadline {
				ctx, cancel := context.WithTimeout(req.Context(), time.Minute)
				defer cancel()
				req = req.WithContext(ctx)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			resp := rec.Result()
			body := rec.Body.String()

			assert.Equal(t, tt.status, resp.StatusCode, body)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			for k, want := range tt.header {
				assert.Equal(t, want, resp.Header.Get(k), k)
			}
			assert.NotContains(t, body, v.keys.Secret)
			assert.NotContains(t, logs.String(), v.keys.Secret)
			if tt.log != "" {
				assert.Contains(t, logs.String(), tt.log)
			}
			if tt.status != http.StatusOK {
				for _, internal := range []string{"signature", "qEF2", "token=", "internal note", "not-a-token", "Invalid ttl", "session"} {
					assert.NotContains(t, body, internal)
				}
				var e struct{ Error string }
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), body)
				assert.NotEmpty(t, e.Error)
				if tt.errorText != "" {
					assert.Equal(t, tt.errorText, e.Error)
				}
				return
			}
			var ans tokenAnswer
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ans), body)
			tok, err := pam.ParseToken(ans.Token)
			require.NoError(t, err)
			assert.Equal(t, tt.authorized, tok.AuthorizedUUID)
			assert.Equal(t, tok.ExpiresAt().UTC().Format(time.RFC3339), ans.ExpiresAt)
			assert.Equal(t, 15, ans.TTL)
		})
	}
}

func TestTokenHandlerUsesTheDefaultLoggerWithoutOne(t *testing.T) { //nolint:paralleltest // replaces slog's default logger
	var mu sync.Mutex
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{})
	garbage := granterFunc(func(context.Context, *pam.TokenRequest) (string, error) { return "not-a-token", nil })
	tests := []struct {
		name   string
		g      pam.Granter
		user   string
		status int
		log    string
	}{
		{"invalid request", g, "invalid", 500, "authorize returned an invalid request"},
		{"nil granter", nil, "alice", 500, "TokenHandler was given a nil Granter"},
		{"nil *GrantCache", (*pam.GrantCache)(nil), "alice", 500, "TokenHandler was given a nil Granter"},
		{"nil *Client", (*pam.Client)(nil), "alice", 500, "TokenHandler was given a nil Granter"},
		{"granter answers garbage", garbage, "alice", 502, "the granter returned a token that does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { //nolint:paralleltest // shares the log buffer
			mu.Lock()
			logs.Reset()
			mu.Unlock()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/pubnub-token", nil)
			req.Header.Set("X-User", tt.user)
			pam.TokenHandler(tt.g, deviceAuthorize).ServeHTTP(rec, req)
			assert.Equal(t, tt.status, rec.Code)
			mu.Lock()
			defer mu.Unlock()
			assert.Contains(t, logs.String(), tt.log)
			assert.NotContains(t, logs.String(), "not-a-token")
		})
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// BenchmarkTokenHandlerLoopback serves cached tokens to parallel HTTP
// clients over loopback (keep-alive, enough idle connections for all of
// them) and reports tokens served per second, and the CPU time each took,
// client and server together.
func BenchmarkTokenHandlerLoopback(b *testing.B) {
	const users = 64
	v := newVend(b)
	g := v.cache(b, pam.CacheConfig{})
	srv := httptest.NewServer(pam.TokenHandler(g, deviceAuthorize))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	fetch := func(user string) error {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-User", user)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for i := range users {
		require.NoError(b, fetch("user-"+strconv.Itoa(i)))
	}
	var mu sync.Mutex
	next := 0
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	cpu0, haveCPU := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		user := "user-" + strconv.Itoa(next%users)
		next++
		mu.Unlock()
		for pb.Next() {
			if err := fetch(user); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
	if cpu1, ok := processCPU(); ok && haveCPU {
		// Client and server together, so that a loaded machine can be read too.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/token")
	}
	b.StopTimer()
	require.EqualValues(b, users, v.grants.Load(), "every token after the first per user came from the cache")
	require.True(b, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
}
