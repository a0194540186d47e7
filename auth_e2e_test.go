package pam_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
