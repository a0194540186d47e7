package pamtest_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/require"
)

// TestReadmeExample is the README section's example, kept compiling and
// passing.
func TestReadmeExample(t *testing.T) {
	t.Parallel()
	s := pamtest.NewServer() // 127.0.0.1, random port, generated keys
	t.Cleanup(s.Close)

	c := s.Client() // a *pam.Client with s.Keys(), pointed at s.URL
	token, err := c.GrantToken(t.Context(), pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", pam.Read|pam.Write).
		ChannelPattern("^lobby-[a-z0-9]+$", pam.Read))
	require.NoError(t, err)

	tok, err := pam.ParseToken(token)
	require.NoError(t, err)
	require.NoError(t, tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-1", Permission: pam.Write, UUID: "user-1"}))

	// Any HTTP client can use the token against the emulator, as it would
	// against PubNub: auth=<token>&uuid=<uuid>.
	u := s.URL + "/publish/" + s.Keys().Publish + "/" + s.Keys().Subscribe +
		"/0/room-2/0/%22hi%22?" + url.Values{"auth": {token}, "uuid": {"user-1"}}.Encode()
	res, err := http.Get(u)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode) // room-2 is not in the token

	require.NoError(t, c.RevokeToken(t.Context(), token))
	err = c.RevokeToken(t.Context(), token)
	var apiErr *pam.APIError
	require.ErrorAs(t, err, &apiErr) // 400 Invalid token: Token is revoked.
}

// TestReadmeExpiry is the README's expiry recipe.
func TestReadmeExpiry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := pamtest.NewServer(pamtest.WithClock(clock))
	t.Cleanup(s.Close)
	token, err := s.Client().GrantToken(t.Context(), pam.NewTokenRequest(time.Minute).Channel("room-1", pam.Write))
	require.NoError(t, err)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	u := s.URL + "/publish/" + s.Keys().Publish + "/" + s.Keys().Subscribe +
		"/0/room-1/0/%22hi%22?" + url.Values{"auth": {token}, "uuid": {"user-1"}}.Encode()
	res, err := http.Get(u)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}
