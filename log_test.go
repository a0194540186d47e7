package pam

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logCapture is a slog handler that keeps every record and also renders
// each one, with all its attributes, as text.
type logCapture struct {
	level slog.Level
	mu    *sync.Mutex
	recs  *[]slog.Record
	text  *bytes.Buffer
	attrs []slog.Attr
}

func newLogCapture(level slog.Level) *logCapture {
	return &logCapture{level: level, mu: &sync.Mutex{}, recs: &[]slog.Record{}, text: &bytes.Buffer{}}
}

func (h *logCapture) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r)
	return slog.NewTextHandler(h.text, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), r)
}

func (h *logCapture) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *logCapture) WithGroup(string) slog.Handler { return h }

func (h *logCapture) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), *h.recs...)
}

func (h *logCapture) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.text.String()
}

func recordAttrs(r slog.Record) map[string]slog.Value {
	m := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
	return m
}

// TestLoggingRedacts drives successes, retries, API errors, a reset, a
// refused connection, a deadline and a clock correction through a Debug
// logger, and checks that no record and no error carries the secret key, a
// signature or a whole token.
func TestLoggingRedacts(t *testing.T) {
	t.Parallel()
	const token = grantToken
	keys := Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-TOPSECRET-4b1d"}
	capture := newLogCapture(slog.LevelDebug)
	logger := slog.New(capture)
	grantBody := `{"data":{"message":"Success","token":"` + token + `"},"service":"Access Manager","status":200}`

	newClient := func(origin string, opts ...Option) *Client {
		c, err := New(keys, append([]Option{WithOrigin(origin), WithLogger(logger)}, opts...)...)
		require.NoError(t, err)
		c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		return c
	}
	var errs []error
	attempts := 0
	var servers []*script

	// Grant: 503, then a reset, then the token.
	s1 := newScript(t, reply{503, map[string]string{"Retry-After": "1"}, ""}, reply{0, nil, ""}, reply{200, nil, grantBody})
	servers = append(servers, s1)
	got, err := newClient(s1.URL).GrantToken(context.Background(), grantReq)
	require.NoError(t, err)
	require.Equal(t, token, got)
	attempts += 3

	// Revoke: 429, then an error the service would send for the token.
	s2 := newScript(t, reply{429, nil, `{"status":429,"error":true,"message":"Too many requests."}`},
		reply{400, nil, `{"error":{"message":"Invalid token","source":"revoke","details":[{"message":"Token is expired.","location":"token","locationType":"path"}]},"service":"Access Manager","status":400}`})
	servers = append(servers, s2)
	errs = append(errs, newClient(s2.URL).RevokeToken(context.Background(), token))
	attempts += 2

	// Grant and revoke answered 403 "Invalid signature".
	s3 := newScript(t, reply{403, nil, `{"error":{"message":"Invalid signature","source":"grant","details":[{"message":"Client and server produced different signatures for the same inputs.","location":"signature","locationType":"query"}]},"service":"Access Manager","status":403}`})
	servers = append(servers, s3)
	c3 := newClient(s3.URL)
	_, err = c3.GrantToken(context.Background(), grantReq)
	errs = append(errs, err, c3.RevokeToken(context.Background(), token))
	attempts += 2

	// A port nothing listens on: three refused attempts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	errs = append(errs, newClient(refused).RevokeToken(context.Background(), token))
	attempts += 3

	// A server that never answers, and a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	errs = append(errs, newClient(hangingListener(t)).RevokeToken(ctx, token))
	cancel()
	attempts++

	// A clock correction.
	ws := newWindowServer(t, nil)
	cw := newClient(ws.URL, WithClock(skewedClock(-10*time.Minute)))
	require.NoError(t, cw.RevokeToken(context.Background(), token))
	attempts += 2

	for _, err := range errs {
		require.Error(t, err)
	}

	// What must never appear.
	secrets := []string{keys.Secret, token, token[:16], "signature=", "v2.", "sec-c-"}
	for _, s := range servers {
		for _, r := range s.requests() {
			secrets = append(secrets, r.Query.Get("signature"), r.RawQuery)
		}
	}
	texts := []string{capture.String()}
	for _, err := range errs {
		texts = append(texts, err.Error())
	}
	for _, text := range texts {
		for _, s := range secrets {
			require.NotEmpty(t, s)
			assert.NotContains(t, text, s)
		}
	}

	// One Debug record per attempt, with its attributes; a Warn per retry.
	var debug, warn, clock int
	for _, r := range capture.records() {
		a := recordAttrs(r)
		switch {
		case r.Level == slog.LevelDebug:
			debug++
			assert.Equal(t, "pam: request", r.Message)
			for _, k := range []string{"op", "method", "path", "status", "duration", "attempt"} {
				assert.Contains(t, a, k, "record %v", r)
			}
			assert.Equal(t, slog.KindDuration, a["duration"].Kind())
			assert.GreaterOrEqual(t, a["attempt"].Int64(), int64(1))
			if a["method"].String() == "DELETE" {
				assert.Equal(t, "/v3/pam/sub-c-1/grant/qEF2AkF0...", a["path"].String())
			} else {
				assert.Equal(t, "/v3/pam/sub-c-1/grant", a["path"].String())
			}
			if st := a["status"].Int64(); st < 200 || st > 299 {
				assert.Contains(t, a, "error")
			}
		case r.Level == slog.LevelWarn && r.Message == "pam: retrying":
			warn++
			for _, k := range []string{"op", "method", "path", "attempt", "reason", "wait"} {
				assert.Contains(t, a, k)
			}
		case r.Level == slog.LevelWarn && r.Message == "pam: clock offset corrected":
			clock++
			assert.InDelta(t, float64(10*time.Minute), float64(a["offset"].Duration()), float64(2*time.Second))
		default:
			t.Errorf("unexpected record %v", r)
		}
	}
	assert.Equal(t, attempts, debug, "one Debug record per attempt")
	assert.Equal(t, 2+1+2, warn, "a Warn record per retry")
	assert.Equal(t, 1, clock)
	assert.Contains(t, capture.String(), "status=503")
	assert.Contains(t, capture.String(), "wait=1s")
	assert.Contains(t, capture.String(), "attempt=3")
}

func TestLoggerLevels(t *testing.T) {
	t.Parallel()
	s := newScript(t, reply{503, nil, ""}, reply{200, nil, grantOK})
	capture := newLogCapture(slog.LevelInfo)
	c, sl := scriptedClient(t, s, 0, WithLogger(slog.New(capture)))
	_, err := c.GrantToken(context.Background(), grantReq)
	require.NoError(t, err)
	require.Len(t, sl.waits(), 1)
	recs := capture.records()
	require.Len(t, recs, 1, "at Info only the retry is logged")
	assert.Equal(t, slog.LevelWarn, recs[0].Level)
}

func TestLoggerOption(t *testing.T) {
	t.Parallel()
	_, err := New(testKeys, WithLogger(nil))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "pam: WithLogger: "), err.Error())

	c, err := New(testKeys)
	require.NoError(t, err)
	assert.Nil(t, c.logger, "no logging by default")
	// With no logger the helpers are no-ops.
	c.logAttempt(context.Background(), "op", "GET", "/", 1, 200, time.Second, nil)
	c.logRetry(context.Background(), "op", "GET", "/", 1, assert.AnError, time.Second)
	c.logClock(context.Background(), "op", time.Second)
}
