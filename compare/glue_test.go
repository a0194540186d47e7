package compare

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	pubnub "github.com/pubnub/go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenFunc adapts a function to pam.TokenSource.
type tokenFunc func(ctx context.Context) (string, error)

func (f tokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// glue is the official SDK publishing as a device whose token pam manages:
// the SDK's HTTP client uses the pam client's Transport, and the pam client
// gets its token from a source that grants on the application's server.
type glue struct {
	emu    *pamtest.Server
	server *pam.Client // the application's server: it holds the secret key
	device *pam.Client // the device's token: subscribe key only
	pn     *pubnub.PubNub
	grants atomic.Int32
}

func newGlue(t *testing.T) *glue {
	t.Helper()
	g := &glue{emu: pamtest.NewServer()}
	t.Cleanup(g.emu.Close)
	g.server = g.emu.Client()
	fromServer := tokenFunc(func(ctx context.Context) (string, error) {
		n := g.grants.Add(1)
		return g.server.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).
			AuthorizedUUID("device-1").
			Channel("room-1", pam.Read|pam.Write).
			Meta("grant", n)) // the same grant in the same second is the same (revoked) token
	})
	k := g.emu.Keys()
	var err error
	g.device, err = pam.New(pam.Keys{Subscribe: k.Subscribe},
		pam.WithOrigin(g.emu.URL),
		pam.WithUserID("device-1"),
		pam.WithTokenSource(pam.ReuseTokenSource(fromServer, time.Minute)))
	require.NoError(t, err)

	cfg := pubnub.NewConfigWithUserId(pubnub.UserId("device-1"))
	cfg.SubscribeKey, cfg.PublishKey = k.Subscribe, k.Publish
	cfg.Origin, cfg.Secure = strings.TrimPrefix(g.emu.URL, "http://"), false
	g.pn = pubnub.NewPubNub(cfg)
	t.Cleanup(g.pn.Destroy)
	g.pn.SetClient(&http.Client{Transport: g.device.Transport(nil), Timeout: 10 * time.Second})
	return g
}

// publish publishes msg to ch with the official SDK and returns the status
// code.
func (g *glue) publish(t *testing.T, ch, msg string) int {
	t.Helper()
	_, status, err := g.pn.Publish().Channel(ch).Message(msg).Execute()
	if status.StatusCode == http.StatusOK {
		require.NoError(t, err)
	}
	return status.StatusCode
}

// The official SDK publishes with a token pam manages: the token is fetched
// once and reused, and after a revocation the next publish succeeds through
// exactly one refresh (and one retry), unseen by the SDK.
func TestOfficialSDKWithPamToken(t *testing.T) {
	t.Parallel()
	g := newGlue(t)

	require.Equal(t, http.StatusOK, g.publish(t, "room-1", "one"))
	require.Equal(t, http.StatusOK, g.publish(t, "room-1", "two"))
	assert.EqualValues(t, 1, g.grants.Load(), "one grant, reused")
	first := g.device.Token()

	require.NoError(t, g.server.RevokeToken(context.Background(), first))
	require.Equal(t, http.StatusOK, g.publish(t, "room-1", "three"), "the 403 Token is revoked is answered by a refresh")
	assert.EqualValues(t, 2, g.grants.Load(), "exactly one refresh after the revocation")
	assert.NotEqual(t, first, g.device.Token())

	require.Equal(t, http.StatusOK, g.publish(t, "room-1", "four"))
	assert.Equal(t, http.StatusForbidden, g.publish(t, "kitchen", "five"), "not in the token")
	assert.EqualValues(t, 2, g.grants.Load(), "a plain 403 Forbidden is no reason to refresh")

	var got []string
	for _, m := range g.emu.Messages("room-1") {
		var s string
		require.NoError(t, json.Unmarshal(m.Message, &s))
		got = append(got, s)
		assert.Equal(t, "device-1", m.UUID)
	}
	assert.Equal(t, []string{"one", "two", "three", "four"}, got)
	assert.Nil(t, g.emu.Messages("kitchen"))
}
