package compare

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	pubnub "github.com/pubnub/go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// officialSDK returns the official Go SDK configured for the emulator with
// the given keys.
func officialSDK(t *testing.T, s *pamtest.Server, keys pam.Keys, userID string) *pubnub.PubNub {
	t.Helper()
	cfg := pubnub.NewConfigWithUserId(pubnub.UserId(userID))
	cfg.SubscribeKey = keys.Subscribe
	cfg.PublishKey = keys.Publish
	cfg.SecretKey = keys.Secret
	cfg.Origin = strings.TrimPrefix(s.URL, "http://")
	cfg.Secure = false
	pn := pubnub.NewPubNub(cfg)
	t.Cleanup(pn.Destroy)
	return pn
}

// TestOfficialSDKGrantRevoke: the official SDK grants against the emulator
// (twice, so the second request carries l_pamv3 telemetry), the token works
// for its channel and not for another, then the SDK revokes it and the
// revocation is enforced; revoking again is refused with 400.
func TestOfficialSDKGrantRevoke(t *testing.T) {
	t.Parallel()
	s := pamtest.NewServer()
	defer s.Close()
	pn := officialSDK(t, s, s.Keys(), "server-1")

	var token string
	for range 2 {
		res, status, err := officialGrant(pn)
		require.NoError(t, err)
		require.Equal(t, 200, status.StatusCode)
		require.NotNil(t, res)
		token = res.Data.Token
		require.True(t, strings.HasPrefix(token, "qEF2AkF0"), token)
	}

	// The token is enforced: publish with the SDK itself, which sends it as
	// auth= and signs the call (the emulator ignores signatures there).
	user := officialSDK(t, s, pam.Keys{Subscribe: s.Keys().Subscribe, Publish: s.Keys().Publish}, "user-1")
	user.SetToken(token)
	_, status, err := user.Publish().Channel("room-1").Message("hello").Execute()
	require.NoError(t, err)
	assert.Equal(t, 200, status.StatusCode)
	_, status, err = user.Publish().Channel("kitchen").Message("hello").Execute()
	require.Error(t, err)
	assert.Equal(t, 403, status.StatusCode)
	assert.Contains(t, err.Error(), `"message":"Forbidden","payload":{"channels":["kitchen"]}`)

	// A token set on the granting SDK is sent (and signed) as auth= on
	// grant and revoke; the emulator accepts that.
	pn.SetToken(token)
	_, status, err = pn.RevokeToken().Token(token).Execute()
	require.NoError(t, err)
	assert.Equal(t, 200, status.StatusCode)

	_, status, err = user.Publish().Channel("room-1").Message("hello").Execute()
	require.Error(t, err)
	assert.Equal(t, 403, status.StatusCode)
	assert.Contains(t, err.Error(), `Token is revoked.`)

	_, status, err = pn.RevokeToken().Token(token).Execute()
	require.Error(t, err)
	assert.Equal(t, 400, status.StatusCode)
	assert.Contains(t, err.Error(), `"message":"Invalid token","source":"revoke"`)

	// pam sees the revocation the SDK made.
	err = s.Client().RevokeToken(context.Background(), token)
	var apiErr *pam.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Token is revoked.", apiErr.Details[0].Message)
}

// TestOfficialSDKWrongSecret: the emulator refuses the SDK's signature made
// with another secret key, for grant and for revoke.
func TestOfficialSDKWrongSecret(t *testing.T) {
	t.Parallel()
	s := pamtest.NewServer()
	defer s.Close()
	token, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	require.NoError(t, err)
	keys := s.Keys()
	keys.Secret = "sec-c-not-the-right-one"
	pn := officialSDK(t, s, keys, "server-1")

	_, status, err := pn.GrantToken().TTL(15).
		Channels(map[string]pubnub.ChannelPermissions{"a": {Read: true}}).Execute()
	require.Error(t, err)
	assert.Equal(t, 403, status.StatusCode)
	assert.Contains(t, err.Error(), "Client and server produced different signatures for the same inputs.")
	assert.NotContains(t, err.Error(), keys.Secret)

	_, status, err = pn.RevokeToken().Token(token).Execute()
	require.Error(t, err)
	assert.Equal(t, 403, status.StatusCode)
	assert.Contains(t, err.Error(), `"message":"Invalid signature","source":"revoke"`)
}

// TestOfficialSDKGrantErrors: the SDK surfaces the emulator's 400 bodies.
func TestOfficialSDKGrantErrors(t *testing.T) {
	t.Parallel()
	s := pamtest.NewServer(pamtest.WithMaxTTL(60))
	defer s.Close()
	pn := officialSDK(t, s, s.Keys(), "server-1")
	_, status, err := pn.GrantToken().TTL(61).
		Channels(map[string]pubnub.ChannelPermissions{"a": {Read: true}}).Execute()
	require.Error(t, err)
	assert.Equal(t, 400, status.StatusCode)
	assert.Contains(t, err.Error(), `{"error":{"message":"Invalid ttl","source":"grant","details":[{"message":"Range should be 1 to 60 minute(s).","location":"ttl","locationType":"body"}]},"service":"Access Manager","status":400}`)

	// All permissions false: the SDK sends a zero bitmask.
	_, status, err = pn.GrantToken().TTL(5).
		UUIDs(map[string]pubnub.UUIDPermissions{"uuid-1": {}}).Execute()
	require.Error(t, err)
	assert.Equal(t, 400, status.StatusCode)
	assert.Contains(t, err.Error(), "Unexpected value: `permissions.resources.uuids.uuid-1` must be positive and non-zero.")

	_, status, err = pn.GrantToken().TTL(5).
		UUIDsPattern(map[string]pubnub.UUIDPermissions{"!<[^>]+>++": {Get: true}}).Execute()
	require.Error(t, err)
	assert.Equal(t, 400, status.StatusCode)
	assert.Contains(t, err.Error(), `"message":"Syntax error: multiple repeat.","location":"permissions.patterns.uuids.!<[^>]+>++"`)
}

// history reads the emulator's history for ch with a plain GET.
func history(t *testing.T, s *pamtest.Server, ch, token, uuid string) (int, string) {
	t.Helper()
	u := s.URL + "/v3/history/sub-key/" + s.Keys().Subscribe + "/channel/" + url.PathEscape(ch) +
		"?" + url.Values{"auth": {token}, "uuid": {uuid}}.Encode()
	res, err := http.Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// TestOfficialSDKPublishHistory: what the SDK publishes is in history.
func TestOfficialSDKPublishHistory(t *testing.T) {
	t.Parallel()
	s := pamtest.NewServer()
	defer s.Close()
	token, err := s.Client().GrantToken(context.Background(),
		pam.NewTokenRequest(time.Minute).AuthorizedUUID("user-1").Channel("room-1", pam.Read|pam.Write))
	require.NoError(t, err)
	user := officialSDK(t, s, pam.Keys{Subscribe: s.Keys().Subscribe, Publish: s.Keys().Publish}, "user-1")
	user.SetToken(token)
	res, _, err := user.Publish().Channel("room-1").Message(map[string]any{"text": "hi"}).Execute()
	require.NoError(t, err)
	assert.Greater(t, res.Timestamp, int64(1e16))
	code, body := history(t, s, "room-1", token, "user-1")
	require.Equal(t, 200, code, body)
	var h struct {
		Channels map[string][]struct {
			Message json.RawMessage `json:"message"`
		} `json:"channels"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	require.Len(t, h.Channels["room-1"], 1)
	assert.JSONEq(t, `{"text":"hi"}`, string(h.Channels["room-1"][0].Message))
}
