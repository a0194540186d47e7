package pam_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTokenVendingEndToEnd closes the loop against the emulator: a token
// endpoint (TokenHandler over a GrantCache, authorize reading a header), a
// device whose token comes from it through
// ReuseTokenSource(HTTPTokenSource(…)) and whose publishes go through
// Client.Transport, and a revocation through the cache.
func TestTokenVendingEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{})
	// Waits for the next second (a revoked token granted again) move the clock.
	pam.SetGrantCacheSleep(g, func(ctx context.Context, d time.Duration) error { v.clk.add(d); return ctx.Err() })
	var fetches atomic.Int32
	handler := pam.TokenHandler(g, deviceAuthorize)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(endpoint.Close)

	hc := &http.Client{Transport: headerTransport{key: "X-User", value: "device-1"}}
	src := pam.ReuseTokenSource(pam.HTTPTokenSource(endpoint.URL+"/pubnub-token", hc), time.Minute)
	device, err := pam.New(pam.Keys{Subscribe: v.keys.Subscribe}, pam.WithOrigin(v.srv.URL),
		pam.WithUserID("device-1"), pam.WithClock(v.clk.now), pam.WithTokenSource(src))
	require.NoError(t, err)
	dhc := &http.Client{Transport: device.Transport(nil)}
	publish := func(msg string) int {
		t.Helper()
		u := v.srv.URL + "/publish/" + v.keys.Publish + "/" + v.keys.Subscribe + "/0/room-1/0/" +
			url.PathEscape(`"`+msg+`"`) + "?uuid=device-1"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		require.NoError(t, err)
		resp, err := dhc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}

	assert.Equal(t, http.StatusOK, publish("one"))
	assert.Equal(t, http.StatusOK, publish("two"))
	assert.EqualValues(t, 1, fetches.Load(), "one fetch from the endpoint")
	assert.EqualValues(t, 1, v.grants.Load(), "one grant")
	first := device.Token()
	tok, err := pam.ParseToken(first)
	require.NoError(t, err)
	assert.Equal(t, "device-1", tok.AuthorizedUUID)

	// Another device of the same user gets the cached token.
	other := pam.HTTPTokenSource(endpoint.URL+"/pubnub-token", hc)
	again, err := other.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.EqualValues(t, 1, v.grants.Load())

	// The server revokes the token through the cache.
	require.NoError(t, g.RevokeToken(ctx, first))
	assert.Equal(t, http.StatusOK, publish("three"), "refreshed through the endpoint and retried")
	assert.EqualValues(t, 1, v.denied.Load(), "exactly one 403: the revoked token")
	assert.EqualValues(t, 3, fetches.Load(), "one more fetch, for the refresh")
	second := device.Token()
	assert.NotEqual(t, first, second, "a new token")
	assert.EqualValues(t, 3, v.grants.Load(), "the revoked token granted again (dropped), then a new one")

	assert.Equal(t, http.StatusOK, publish("four"))
	assert.EqualValues(t, 1, v.denied.Load())
	assert.EqualValues(t, 3, fetches.Load())

	// A device without credentials is refused by the endpoint, and says so.
	anon := pam.HTTPTokenSource(endpoint.URL+"/pubnub-token", nil)
	_, err = anon.Token(ctx)
	assert.ErrorIs(t, err, pam.ErrUnauthenticated)
}
