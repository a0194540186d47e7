package pamtest

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTripThroughLibrary walks the list through pam itself:
// grant → parse → publish allowed → publish to a channel the token lacks
// → 403 Forbidden → revoke → 403 revoked → revoke again → 400 Invalid
// token.
func TestRoundTripThroughLibrary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	c := s.Client()

	token, err := c.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", pam.Read|pam.Write).
		ChannelPattern("^lobby-[0-9]+$", pam.Read).
		UUID("user-1", pam.Get|pam.Update).
		Meta("plan", "pro"))
	require.NoError(t, err)

	tok, err := pam.ParseToken(token)
	require.NoError(t, err)
	assert.Equal(t, 2, tok.Version)
	assert.Equal(t, "user-1", tok.AuthorizedUUID)
	assert.Equal(t, 15*time.Minute, tok.TTL)
	assert.WithinDuration(t, time.Now(), tok.IssuedAt, 5*time.Second)
	assert.Equal(t, map[string]pam.Permission{"room-1": pam.Read | pam.Write}, tok.Resources.Channels)
	assert.Equal(t, map[string]pam.Permission{"^lobby-[0-9]+$": pam.Read}, tok.Patterns.Channels)
	assert.Equal(t, map[string]pam.Permission{"user-1": pam.Get | pam.Update}, tok.Resources.UUIDs)
	assert.Equal(t, map[string]any{"plan": "pro"}, tok.Meta)
	assert.Len(t, tok.Signature, 32)

	// The library's local check and the emulator agree.
	require.NoError(t, tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-1", Permission: pam.Write, UUID: "user-1"}))
	r := publishRaw(t, s, "room-1", `"hi"`, token, "user-1")
	require.Equal(t, http.StatusOK, r.status, string(r.body))

	require.Error(t, tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-2", Permission: pam.Write, UUID: "user-1"}))
	r = publishRaw(t, s, "room-2", `"hi"`, token, "user-1")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, bodyForbidden("room-2"), string(r.body))

	require.NoError(t, c.RevokeToken(ctx, token))
	r = publishRaw(t, s, "room-1", `"hi"`, token, "user-1")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, bodyRevoked, string(r.body))

	err = c.RevokeToken(ctx, token)
	var apiErr *pam.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "Invalid token", apiErr.Message)
	assert.Equal(t, "revoke", apiErr.Source)
	assert.Equal(t, []pam.ErrorDetail{{Message: "Token is revoked.", Location: "token", LocationType: "path"}}, apiErr.Details)
	assert.NotContains(t, err.Error(), token)
}

// TestRoundTripExpired: a token past its ttl on the emulator's clock is
// refused with 403 "Token is expired."; pam agrees.
func TestRoundTripExpired(t *testing.T) {
	t.Parallel()
	clk := newClock(fixedNow)
	s := newTestServer(t, WithClock(clk.Now))
	token, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("room-1", pam.Write))
	require.NoError(t, err)
	tok, err := pam.ParseToken(token)
	require.NoError(t, err)
	assert.Equal(t, fixedNow, tok.IssuedAt.UTC())

	clk.Add(time.Minute)
	assert.True(t, tok.Expired(clk.Now()))
	err = tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-1", Permission: pam.Write, At: clk.Now()})
	assert.ErrorIs(t, err, pam.ErrTokenExpired)
	r := publishRaw(t, s, "room-1", `"hi"`, token, "u")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, bodyExpired, string(r.body))
}

// TestRoundTripWrongSecret: a client with another secret key gets 403
// Invalid signature, for grant and revoke.
func TestRoundTripWrongSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestServer(t)
	token, err := s.Client().GrantToken(ctx, pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	require.NoError(t, err)
	keys := s.Keys()
	keys.Secret = "sec-c-wrong"
	c, err := pam.New(keys, pam.WithOrigin(s.URL))
	require.NoError(t, err)

	_, err = c.GrantToken(ctx, pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	var apiErr *pam.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	assert.Equal(t, "Invalid signature", apiErr.Message)
	assert.NotContains(t, err.Error(), keys.Secret)

	err = c.RevokeToken(ctx, token)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	assert.Equal(t, "Invalid signature", apiErr.Message)
}

// TestRoundTripStaleTimestamp: a request whose timestamp is two minutes off
// gets 400 Invalid timestamp, with a Date header; pam.Client corrects its
// clock offset from that header and its retry goes through.
func TestRoundTripStaleTimestamp(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClock(func() time.Time { return fixedNow }))
	r := grantRaw(t, s, grantBody(60, grants{"channels": {"a": 1}}, nil, nil, ""), signedOpts{timestamp: fixedNow.Add(-2 * time.Minute).Unix()})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, string(r.body), `"message":"Invalid timestamp"`)
	d, err := http.ParseTime(r.header.Get("Date"))
	require.NoError(t, err)
	assert.Equal(t, fixedNow, d.UTC())

	c := s.Client(pam.WithClock(func() time.Time { return fixedNow.Add(-2 * time.Minute) }))
	tok, err := c.GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	require.NoError(t, err, "the client corrects its clock from the Date header")
	parsed, err := pam.ParseToken(tok)
	require.NoError(t, err)
	assert.Equal(t, fixedNow, parsed.IssuedAt.UTC())
	require.NoError(t, c.RevokeToken(context.Background(), tok))
}

// TestAllowsAgreesWithEmulator: pam.Token.Allows and the emulator's
// enforcement decide alike on exact entries and patterns.
func TestAllowsAgreesWithEmulator(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	token, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(time.Hour).
		Channel("a", pam.Read).
		Channel("b", pam.Write).
		Channel("c", pam.Read|pam.Write).
		ChannelPattern("^a.*$", pam.Write).
		ChannelPattern("^room-[0-9]+$", pam.Read|pam.Write).
		ChannelPattern("^ro.*$", pam.Read).
		ChannelPattern("x|y", pam.Write))
	require.NoError(t, err)
	tok, err := pam.ParseToken(token)
	require.NoError(t, err)
	for _, name := range []string{"a", "ab", "b", "c", "d", "room-1", "room-x", "rox", "x", "y", "xy", "A"} {
		w := publishRaw(t, s, name, `1`, token, "u").status == http.StatusOK
		r := historyRaw(t, s, name, token, "u").status == http.StatusOK
		assert.Equal(t, tok.Allows(pam.Channel, name, pam.Write), w, "write %q", name)
		assert.Equal(t, tok.Allows(pam.Channel, name, pam.Read), r, "read %q", name)
	}
}

// TestRoundTripMetaNumbers: the emulator reads meta numbers with the one
// rule pam uses for token JSON (tokencodec.Number), the codec stores
// whole floats as integers, and pam reads back, writes to JSON and reads
// that back the same values.
func TestRoundTripMetaNumbers(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	token := mustGrant(t, s, `{"ttl":5,"permissions":{"resources":{"channels":{"a":1}},`+
		`"meta":{"i":-7,"u":18446744073709551615,"f":2.5,"e":1e3,"z":-0}}}`)
	tok, err := pam.ParseToken(token)
	require.NoError(t, err)
	want := map[string]any{"i": int64(-7), "u": uint64(math.MaxUint64), "f": 2.5, "e": int64(1000), "z": int64(0)}
	assert.Equal(t, want, tok.Meta)

	b, err := json.Marshal(tok)
	require.NoError(t, err)
	var back pam.Token
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, want, back.Meta)
}
