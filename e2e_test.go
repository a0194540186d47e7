package pam_test

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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// e2eClock is a settable clock shared by the emulator and the clients.
type e2eClock struct{ ns atomic.Int64 }

func (c *e2eClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *e2eClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// grantSource grants a token on the server client for each call: what a
// device's token endpoint on the application server does.
type grantSource struct {
	server *pam.Client
	calls  atomic.Int32
}

func (g *grantSource) Token(ctx context.Context) (string, error) {
	n := g.calls.Add(1)
	return g.server.GrantToken(ctx, pam.NewTokenRequest(time.Minute).
		AuthorizedUUID("device-1").
		Channel("room-1", pam.Read|pam.Write).
		Meta("grant", n)) // two grants in the same second still differ
}

// e2e is an emulator under a test clock, a server client that grants, and
// a device client (subscribe key only) with an HTTP client using its
// transport.
type e2e struct {
	clock  *e2eClock
	emu    *pamtest.Server
	server *pam.Client
	device *pam.Client
	hc     *http.Client
}

func newE2E(t *testing.T, deviceOpts ...pam.Option) *e2e {
	t.Helper()
	e := &e2e{clock: new(e2eClock)}
	e.clock.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	e.emu = pamtest.NewServer(pamtest.WithClock(e.clock.now))
	t.Cleanup(e.emu.Close)
	e.server = e.emu.Client()
	opts := append([]pam.Option{pam.WithOrigin(e.emu.URL), pam.WithUserID("device-1"), pam.WithClock(e.clock.now)}, deviceOpts...)
	var err error
	e.device, err = pam.New(pam.Keys{Subscribe: e.emu.Keys().Subscribe}, opts...)
	require.NoError(t, err)
	e.hc = &http.Client{Transport: e.device.Transport(nil)}
	return e
}

// publish publishes msg to room-1 as device-1 and returns the status and
// the response body.
func (e *e2e) publish(t *testing.T, msg string) (int, string) {
	t.Helper()
	k := e.emu.Keys()
	resp, err := e.hc.Get(fmt.Sprintf("%s/publish/%s/%s/0/room-1/0/%%22%s%%22?uuid=device-1", e.emu.URL, k.Publish, k.Subscribe, msg))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestAuthEndToEndSetToken(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx := context.Background()

	status, body := e.publish(t, "no-token")
	assert.Equal(t, http.StatusForbidden, status, body)

	grant := func() string {
		tok, err := e.server.GrantToken(ctx, pam.NewTokenRequest(time.Minute).AuthorizedUUID("device-1").Channel("room-1", pam.Write))
		require.NoError(t, err)
		return tok
	}
	e.device.SetToken(grant())
	status, body = e.publish(t, "one")
	assert.Equal(t, http.StatusOK, status, body)

	e.clock.add(2 * time.Minute) // the 1-minute token expires
	status, body = e.publish(t, "two")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "Token is expired")

	e.device.SetToken(grant()) // the refresh, by hand
	status, body = e.publish(t, "three")
	assert.Equal(t, http.StatusOK, status, body)

	require.NoError(t, e.server.RevokeToken(ctx, e.device.Token()))
	status, body = e.publish(t, "four")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "Token is revoked")
}

func TestAuthEndToEndTokenSource(t *testing.T) {
	t.Parallel()
	src := &grantSource{}
	e := newE2E(t, pam.WithTokenSource(pam.ReuseTokenSource(src, 10*time.Second)))
	src.server = e.server
	ctx := context.Background()

	for i := range 3 {
		status, body := e.publish(t, fmt.Sprint("a", i))
		require.Equal(t, http.StatusOK, status, body)
	}
	assert.EqualValues(t, 1, src.calls.Load(), "one grant, reused")
	first := e.device.Token()
	tok, err := pam.ParseToken(first)
	require.NoError(t, err)
	assert.Equal(t, "device-1", tok.AuthorizedUUID)

	// Within early of the expiry (by the client's clock): refreshed before
	// sending, so the service never sees the old token expire.
	e.clock.add(55 * time.Second)
	status, body := e.publish(t, "b")
	require.Equal(t, http.StatusOK, status, body)
	assert.EqualValues(t, 2, src.calls.Load())
	assert.NotEqual(t, first, e.device.Token())

	// Revoked behind the device's back: the 403 makes the transport fetch a
	// new token and retry once.
	require.NoError(t, e.server.RevokeToken(ctx, e.device.Token()))
	status, body = e.publish(t, "c")
	require.Equal(t, http.StatusOK, status, body)
	assert.EqualValues(t, 3, src.calls.Load())
}

// The device's clock lags the service's: the token looks valid locally but
// the service says it is expired. The 403 drives one refresh, shared by all
// the requests rejected at the same time.
func TestAuthEndToEndExpiredByServiceClock(t *testing.T) {
	t.Parallel()
	src := &grantSource{}
	var deviceClock e2eClock
	e := newE2E(t, pam.WithTokenSource(pam.ReuseTokenSource(src, 0)), pam.WithClock(deviceClock.now))
	deviceClock.ns.Store(e.clock.ns.Load())
	src.server = e.server

	status, body := e.publish(t, "warm")
	require.Equal(t, http.StatusOK, status, body)
	e.clock.add(2 * time.Minute) // the service's clock only

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := e.emu.Keys()
			resp, err := e.hc.Get(fmt.Sprintf("%s/publish/%s/%s/0/room-1/0/%d?uuid=device-1", e.emu.URL, k.Publish, k.Subscribe, i))
			if err != nil {
				errs <- err
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- errors.New(resp.Status)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, src.calls.Load(), "one grant, then one refresh for all %d rejected requests", n)
}

// flaky wraps a handler and answers every tenth request 503, at most once
// per request body, so that every grant meets at most one 503 and about one
// request in ten is refused.
type flaky struct {
	next     http.Handler
	requests atomic.Int64
	injected atomic.Int64
	failed   sync.Map // request bodies already answered 503
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.requests.Add(1)%10 == 0 {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, again := f.failed.LoadOrStore(r.Method+" "+r.URL.Path+" "+string(body), true); !again {
			f.injected.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":503,"error":true,"service":"Balancer","message":"Service Unavailable"}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	f.next.ServeHTTP(w, r)
}

// TestLoadRetries: 64 goroutines × 100 grants through one client against
// the emulator, with 10% of requests answered 503. Every grant succeeds,
// every token parses, and no goroutine is left behind.
//
// Not parallel: it counts goroutines.
func TestLoadRetries(t *testing.T) { //nolint:paralleltest // counts goroutines
	const (
		workers = 64
		grants  = 100
	)
	if testing.Short() {
		t.Skip("load test")
	}
	baseline := runtime.NumGoroutine()

	keys := pam.Keys{Subscribe: "sub-c-load", Publish: "pub-c-load", Secret: "sec-c-load"}
	f := &flaky{next: pamtest.NewHandler(pamtest.WithKeys(keys))}
	srv := httptest.NewServer(f)
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	c, err := pam.New(keys,
		pam.WithOrigin(srv.URL),
		pam.WithHTTPClient(&http.Client{Transport: tr, Timeout: 10 * time.Second}),
		pam.WithRetry(pam.RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}),
	)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	errs := make(chan error, workers*grants)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range grants {
				ch := fmt.Sprintf("room-%d-%d", w, i)
				tok, err := c.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).AuthorizedUUID(fmt.Sprintf("user-%d", w)).Channel(ch, pam.Read|pam.Write))
				if err != nil {
					errs <- fmt.Errorf("worker %d grant %d: %w", w, i, err)
					continue
				}
				parsed, err := pam.ParseToken(tok)
				if err != nil {
					errs <- fmt.Errorf("worker %d grant %d: parse: %w", w, i, err)
					continue
				}
				if !parsed.Allows(pam.Channel, ch, pam.Read|pam.Write) {
					errs <- fmt.Errorf("worker %d grant %d: the token does not allow %s", w, i, ch)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int64(workers*grants), ok.Load(), "every grant succeeds and parses")
	requests, injected := f.requests.Load(), f.injected.Load()
	assert.Equal(t, int64(workers*grants)+injected, requests, "one retry per injected 503")
	// Every tenth request, less those whose grant had already met its 503.
	assert.GreaterOrEqual(t, injected*100, requests*8, "about 10%% of requests answered 503")
	assert.LessOrEqual(t, injected, requests/10)
	t.Logf("%d grants, %d requests, %d injected 503s", ok.Load(), requests, injected)

	// Back to the baseline once idle connections and the server are closed.
	tr.CloseIdleConnections()
	srv.Close()
	deadline := time.Now().Add(10 * time.Second)
	n := runtime.NumGoroutine()
	for n > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, baseline %d:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// statusCounter wraps a handler and counts the statuses it answers.
type statusCounter struct {
	next http.Handler
	mu   sync.Mutex
	seen []int
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (s *statusCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.next.ServeHTTP(sw, r)
	s.mu.Lock()
	s.seen = append(s.seen, sw.status)
	s.mu.Unlock()
}

func (s *statusCounter) statuses() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.seen...)
}

// TestClockSkewAgainstEmulator: a client whose clock is 10 minutes off is
// refused once by the emulator (400 Invalid timestamp, with its Date
// header), corrects its offset, and from then on is signed right.
func TestClockSkewAgainstEmulator(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		keys := pam.Keys{Subscribe: "sub-c-skew", Publish: "pub-c-skew", Secret: "sec-c-skew"}
		sc := &statusCounter{next: pamtest.NewHandler(pamtest.WithKeys(keys))}
		srv := httptest.NewServer(sc)
		c, err := pam.New(keys, pam.WithOrigin(srv.URL), pam.WithClock(func() time.Time { return time.Now().Add(skew) }))
		require.NoError(t, err)

		tok, err := c.GrantToken(context.Background(), pam.NewTokenRequest(time.Hour).Channel("a", pam.Read))
		require.NoError(t, err, "skew %s", skew)
		assert.Equal(t, []int{400, 200}, sc.statuses(), "skew %s", skew)
		parsed, err := pam.ParseToken(tok)
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now(), parsed.IssuedAt, 2*time.Second, "issued by the emulator's clock")

		_, err = c.GrantToken(context.Background(), pam.NewTokenRequest(time.Hour).Channel("b", pam.Read))
		require.NoError(t, err)
		require.NoError(t, c.RevokeToken(context.Background(), tok))
		assert.Equal(t, []int{400, 200, 200, 200}, sc.statuses(), "later calls use the offset")
		srv.Close()
	}
}

// A token bound to the device's uuid works on a call built without uuid=:
// the transport adds the client's uuid (WithUserID). Without that, the
// emulator, like the service, refuses the call, and says the uuid is
// missing.
func TestAuthEndToEndAddsUUID(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	tok, err := e.server.GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).AuthorizedUUID("device-1").Channel("room-1", pam.Write))
	require.NoError(t, err)
	e.device.SetToken(tok)
	k := e.emu.Keys()
	path := fmt.Sprintf("/publish/%s/%s/0/room-1/0/%%22hi%%22", k.Publish, k.Subscribe)

	resp, err := e.hc.Get(e.emu.URL + path) // no uuid=
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	msgs := e.emu.Messages("room-1")
	require.Len(t, msgs, 1)
	assert.Equal(t, "device-1", msgs[0].UUID)

	resp, err = http.Get(e.emu.URL + path + "?auth=" + url.QueryEscape(tok)) // no transport, no uuid
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, string(b), "uuid is missing")
}

// An empty meta key: the service takes any JSON object as meta, so pam
// sends it, the emulator grants it and the token carries it; Lint only
// advises.
func TestEmptyMetaKeyAgrees(t *testing.T) {
	t.Parallel()
	emu := pamtest.NewServer()
	t.Cleanup(emu.Close)
	req := pam.NewTokenRequest(time.Minute).AuthorizedUUID("u").Channel("c", pam.Read).Meta("", "x")
	require.NoError(t, req.Validate())
	ws := req.Lint()
	require.Len(t, ws, 1)
	assert.Equal(t, pam.LintEmptyMetaKey, ws[0].Code)
	_, tok, err := emu.Client().GrantTokenParsed(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"": "x"}, tok.Meta)
}
