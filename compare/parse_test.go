package compare

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	pubnub "github.com/pubnub/go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkParse runs the official ParseToken, which can panic on odd input
// (wire.md §7.5), turning a panic into an error.
func sdkParse(token string) (tok *pubnub.PNToken, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pubnub.ParseToken panicked: %v", r)
		}
	}()
	return pubnub.ParseToken(token)
}

// TestParseTokenAgreesWithOfficialSDK: for tokens the emulator mints (for
// pam and for the official SDK), the official SDK's ParseToken and
// pam.ParseToken read the same fields.
func TestParseTokenAgreesWithOfficialSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := pamtest.NewServer()
	defer s.Close()
	c := s.Client()
	pn := officialSDK(t, s, s.Keys(), "server-1")

	var tokens []string
	for _, req := range []*pam.TokenRequest{
		pam.NewTokenRequest(time.Minute).Channel("room-1", pam.Read),
		pam.NewTokenRequest(43200*time.Minute).
			AuthorizedUUID("user-1").
			Channel("room-1", pam.Read|pam.Write|pam.Manage|pam.Delete|pam.Get|pam.Update|pam.Join).
			Channel("room-2", pam.Join).
			ChannelGroup("group-1", pam.Read|pam.Manage).
			UUID("user-1", pam.Get|pam.Update|pam.Delete).
			ChannelPattern(`^room-\d+$`, pam.Read).
			ChannelGroupPattern("^group-.*$", pam.Manage).
			UUIDPattern("^user-.*$", pam.Get).
			Meta("s", "text").Meta("i", -7).Meta("u", 42).Meta("f", 1.25).Meta("b", true),
		pam.NewTokenRequest(5*time.Minute).UUIDPattern("^bot-[a-z]+$", pam.Update).Meta("big", int64(math.MaxInt32)+1),
	} {
		tok, err := c.GrantToken(ctx, req)
		require.NoError(t, err)
		tokens = append(tokens, tok)
	}
	res, _, err := pn.GrantToken().TTL(60).
		AuthorizedUUID("test-authorized-uuid").
		Channels(map[string]pubnub.ChannelPermissions{"channel-1": {Read: true, Write: true, Get: true, Manage: true, Update: true, Join: true, Delete: true}}).
		ChannelGroups(map[string]pubnub.GroupPermissions{"channel_group-1": {Read: true, Manage: true}}).
		UUIDs(map[string]pubnub.UUIDPermissions{"uuid-1": {Get: true, Update: true, Delete: true}}).
		ChannelsPattern(map[string]pubnub.ChannelPermissions{`^channel-\S*$`: {Read: true}}).
		Meta(map[string]interface{}{"nested": map[string]interface{}{"list": []interface{}{1, "two", false}}, "x": "y"}).
		Execute()
	require.NoError(t, err)
	tokens = append(tokens, res.Data.Token)

	for i, token := range tokens {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ours, err := pam.ParseToken(token)
			require.NoError(t, err)
			theirs, err := sdkParse(token)
			require.NoError(t, err)
			assert.Equal(t, theirs.Version, ours.Version, "version")
			assert.Equal(t, theirs.Timestamp, ours.IssuedAt.Unix(), "timestamp")
			assert.Equal(t, time.Duration(theirs.TTL)*time.Minute, ours.TTL, "ttl")
			assert.Equal(t, theirs.AuthorizedUUID, ours.AuthorizedUUID, "authorized uuid")
			assert.Equal(t, theirs.Resources, asSDK(ours.Resources), "resources")
			assert.Equal(t, theirs.Patterns, asSDK(ours.Patterns), "patterns")
			assert.Equal(t, normalize(theirs.Meta), normalize(ours.Meta), "meta")
		})
	}
}

// asSDK converts pam grants to the official SDK's shape: channels with
// seven flags, groups read/manage, uuids get/update/delete.
func asSDK(g pam.Grants) pubnub.PNTokenResources {
	out := pubnub.PNTokenResources{
		Channels:      map[string]pubnub.ChannelPermissions{},
		ChannelGroups: map[string]pubnub.GroupPermissions{},
		UUIDs:         map[string]pubnub.UUIDPermissions{},
	}
	for n, p := range g.Channels {
		out.Channels[n] = pubnub.ChannelPermissions{
			Read: p.Has(pam.Read), Write: p.Has(pam.Write), Manage: p.Has(pam.Manage), Delete: p.Has(pam.Delete),
			Get: p.Has(pam.Get), Update: p.Has(pam.Update), Join: p.Has(pam.Join),
		}
	}
	for n, p := range g.ChannelGroups {
		out.ChannelGroups[n] = pubnub.GroupPermissions{Read: p.Has(pam.Read), Manage: p.Has(pam.Manage)}
	}
	for n, p := range g.UUIDs {
		out.UUIDs[n] = pubnub.UUIDPermissions{Get: p.Has(pam.Get), Update: p.Has(pam.Update), Delete: p.Has(pam.Delete)}
	}
	return out
}

// normalize maps both decoders' meta values to one form: maps with string
// keys, integers as int64 (or uint64 past int64), floats as float64. An
// empty map and a nil map are the same.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return normalize(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return x
	case float32:
		return float64(x)
	}
	return v
}

// TestOfficialSDKNullMeta records a bug of the official SDK (v7.4.0): its
// ParseToken panics inside cbor_go on a meta value of null (CBOR 0xf6),
// which the grant body allows and the emulator encodes as CBOR does. pam
// parses the same token.
func TestOfficialSDKNullMeta(t *testing.T) {
	t.Parallel()
	s := pamtest.NewServer()
	defer s.Close()
	token, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).Meta("n", nil))
	require.NoError(t, err)
	ours, err := pam.ParseToken(token)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"n": nil}, ours.Meta)
	_, err = sdkParse(token)
	assert.ErrorContains(t, err, "panicked")
}
