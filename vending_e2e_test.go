package pam_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
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

// TestReadmeServingTokens is the README's "Serving tokens to devices" loop
// against the emulator (on the real clock), kept compiling and passing.
func TestReadmeServingTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emu := pamtest.NewServer()
	t.Cleanup(emu.Close)
	sub, pub, sec := emu.Keys().Subscribe, emu.Keys().Publish, emu.Keys().Secret
	sessionUser := func(r *http.Request) (string, bool) {
		c, err := r.Cookie("session")
		if err != nil {
			return "", false
		}
		return c.Value, true
	}

	server, err := pam.New(pam.Keys{Subscribe: sub, Publish: pub, Secret: sec}, pam.WithOrigin(emu.URL))
	require.NoError(t, err)
	cache, err := pam.NewGrantCache(server, pam.CacheConfig{GrantsPerSecond: 20})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/pubnub-token", pam.TokenHandler(cache, func(r *http.Request) (*pam.TokenRequest, error) {
		user, ok := sessionUser(r)
		if !ok {
			return nil, pam.ErrUnauthenticated
		}
		return pam.NewTokenRequest(15*time.Minute).AuthorizedUUID(user).Channel("room-1", pam.Read|pam.Write), nil
	}))
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	apiURL, err := url.Parse(api.URL)
	require.NoError(t, err)
	jar.SetCookies(apiURL, []*http.Cookie{{Name: "session", Value: "user-1"}})
	src := pam.ReuseTokenSource(pam.HTTPTokenSource(api.URL+"/pubnub-token", &http.Client{Jar: jar}), time.Minute)
	device, err := pam.New(pam.Keys{Subscribe: sub}, pam.WithUserID("user-1"), pam.WithTokenSource(src), pam.WithOrigin(emu.URL))
	require.NoError(t, err)
	pubnub := &http.Client{Transport: device.Transport(nil)}

	publish := func() int {
		t.Helper()
		resp, err := pubnub.Get(emu.URL + "/publish/" + pub + "/" + sub + "/0/room-1/0/%22hi%22?uuid=user-1")
		require.NoError(t, err)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, publish())
	token := device.Token()
	require.NoError(t, cache.RevokeToken(ctx, token))
	require.Equal(t, http.StatusOK, publish(), "a new token after the revocation")
	assert.NotEqual(t, token, device.Token())
}
