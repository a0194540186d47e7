package pam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type grantVector struct {
	Name          string          `json:"name"`
	Input         json.RawMessage `json:"input"`
	Path          string          `json:"path"`
	ContentType   string          `json:"content_type"`
	Body          *string         `json:"body"`
	ErrorReturned string          `json:"error_returned"`
}

type grantFile struct {
	Grants  []grantVector `json:"go_sdk_grant_token_requests"`
	Revokes []struct {
		Name  string `json:"name"`
		Input struct {
			Token string `json:"token"`
		} `json:"input"`
		Path          string `json:"path"`
		Body          string `json:"body"`
		ErrorReturned string `json:"error_returned"`
		StatusCode    int    `json:"status_code"`
	} `json:"go_sdk_revoke_token_requests"`
	Others []struct {
		Test         string `json:"test"`
		SDK          string `json:"sdk"`
		ExpectedBody string `json:"expected_body"`
	} `json:"other_sdk_examples"`
}

func loadGrantFile(t *testing.T) grantFile {
	var f grantFile
	loadJSON(t, "testdata/grant_bodies.json", &f)
	require.NotEmpty(t, f.Grants)
	require.NotEmpty(t, f.Revokes)
	return f
}

// vectorInput is the "input" object of a captured grant, in the vocabulary
// of the official SDK.
type vectorInput struct {
	TTL              int                          `json:"ttl"`
	Channels         map[string]json.RawMessage   `json:"channels"`
	ChannelsRead     []string                     `json:"channels_read"`
	Groups           map[string]json.RawMessage   `json:"groups"`
	UUIDs            map[string]json.RawMessage   `json:"uuids"`
	Resources        map[string]map[string]string `json:"resources"`
	Patterns         map[string]map[string]string `json:"patterns"`
	Meta             map[string]any               `json:"meta"`
	AuthorizedUUID   *string                      `json:"authorized_uuid"`
	AuthorizedUserID *string                      `json:"authorized_user_id"`
	Spaces           map[string]string            `json:"spaces"`
	Users            map[string]string            `json:"users"`
	SpacePatterns    map[string]string            `json:"space_patterns"`
	UserPatterns     map[string]string            `json:"user_patterns"`
	ConfigUserID     string                       `json:"config_user_id"`
	SecretKey        *string                      `json:"secret_key"`
}

// vectorPerm reads a permission written as "read,write", "none_all_false"
// or {"read":true}.
func vectorPerm(t *testing.T, raw json.RawMessage) Permission {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return permList(t, s)
	}
	var p Permission
	require.NoError(t, json.Unmarshal(raw, &p))
	return p
}

func permList(t *testing.T, s string) Permission {
	t.Helper()
	var p Permission
	if s == "none_all_false" {
		return 0
	}
	for _, name := range strings.Split(s, ",") {
		bit, ok := ParsePermission(name)
		require.True(t, ok, "permission %q", name)
		p |= bit
	}
	return p
}

// request builds the TokenRequest the vector's input describes.
func (in vectorInput) request(t *testing.T) *TokenRequest {
	r := NewTokenRequest(time.Duration(in.TTL) * time.Minute)
	for name, raw := range in.Channels {
		r.Channel(name, vectorPerm(t, raw))
	}
	for _, name := range in.ChannelsRead {
		r.Channel(name, Read)
	}
	for name, raw := range in.Groups {
		r.ChannelGroup(name, vectorPerm(t, raw))
	}
	for name, raw := range in.UUIDs {
		r.UUID(name, vectorPerm(t, raw))
	}
	adders := map[string][2]func(string, Permission) *TokenRequest{
		"channels": {r.Channel, r.ChannelPattern},
		"groups":   {r.ChannelGroup, r.ChannelGroupPattern},
		"uuids":    {r.UUID, r.UUIDPattern},
	}
	for typ, m := range in.Resources {
		for name, p := range m {
			adders[typ][0](name, permList(t, p))
		}
	}
	for typ, m := range in.Patterns {
		for name, p := range m {
			adders[typ][1](name, permList(t, p))
		}
	}
	for k, v := range in.Meta {
		if f, ok := v.(float64); ok && f == math.Trunc(f) {
			v = int64(f) // the SDK was given an int
		}
		r.Meta(k, v)
	}
	if in.AuthorizedUUID != nil {
		r.AuthorizedUUID(*in.AuthorizedUUID)
	}
	if in.AuthorizedUserID != nil {
		r.AuthorizedUserID(*in.AuthorizedUserID)
	}
	for name, p := range in.Spaces {
		r.Space(name, permList(t, p))
	}
	for name, p := range in.Users {
		r.User(name, permList(t, p))
	}
	for name, p := range in.SpacePatterns {
		r.SpacePattern(name, permList(t, p))
	}
	for name, p := range in.UserPatterns {
		r.UserPattern(name, permList(t, p))
	}
	return r
}

// TestGrantBodyVectors sends every captured grant and compares the request
// with what the official Go SDK sent.
func TestGrantBodyVectors(t *testing.T) {
	t.Parallel()
	f := loadGrantFile(t)
	for _, v := range f.Grants {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			var in vectorInput
			require.NoError(t, json.Unmarshal(v.Input, &in))
			r := in.request(t)
			keys := testKeys
			if in.SecretKey != nil {
				keys.Secret = *in.SecretKey
			}
			userID := "myUserId"
			if in.ConfigUserID != "" {
				userID = in.ConfigUserID
			}
			c, rec := setup(t, 200, grantOK, WithUserID(userID))
			c.keys = keys

			if v.Body != nil {
				// Whatever Validate says, the body is the official SDK's.
				got, err := r.MarshalJSON()
				require.NoError(t, err)
				assert.JSONEq(t, *v.Body, string(got))
			}
			tok, err := c.GrantToken(context.Background(), r)
			switch v.Name {
			case "ttl_not_set", "ttl_zero", "ttl_minus_one", "ttl_huge_525601":
				require.ErrorIs(t, err, ErrInvalidTTL)
			case "channel_bit_none_all_false", "no_permissions_go_sends_anyway":
				require.ErrorIs(t, err, ErrNoPermissions)
			case "meta_nested_not_validated_by_go":
				require.ErrorIs(t, err, ErrInvalidMeta)
			case "missing_secret_key":
				require.ErrorIs(t, err, ErrMissingSecretKey)
			default:
				require.NoError(t, err)
				assert.Equal(t, "qEF2AkF0GmEI03xDdHRsGDxDcmVz", tok)
				reqs := rec.requests()
				require.Len(t, reqs, 1)
				got := reqs[0]
				assert.Equal(t, "POST", got.Method)
				assert.Equal(t, v.Path, got.RawPath)
				assert.Equal(t, "application/json", got.ContentType)
				assert.JSONEq(t, *v.Body, string(got.Body))
				assert.ElementsMatch(t, []string{"uuid", "pnsdk", "requestid", "timestamp", "signature"}, keysOf(got.Query))
				assert.Equal(t, userID, got.Query.Get("uuid"))
				assert.Empty(t, got.Query.Get("auth"), "no auth on grant")
				verifySignature(t, keys, got)
				return
			}
			assert.Empty(t, rec.requests(), "nothing is sent when validation fails")
		})
	}
}

func keysOf(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestGrantBodyOtherSDKs compares bodies with the examples the other SDKs'
// tests assert, where they send the same shape (Go and JavaScript).
func TestGrantBodyOtherSDKs(t *testing.T) {
	t.Parallel()
	r1 := NewTokenRequest(100*time.Minute).Channel("channel", Read).ChannelGroup("cg", Read|Manage).ChannelGroup("cg2", Read)
	r2 := NewTokenRequest(100*time.Minute).Space("channel", Read).SpacePattern("channel", Read|Write).User("user", Get|Update|Delete).UserPattern("users*", Get|Delete)
	r3 := NewTokenRequest(1440*time.Minute).User("user1", Read).UserPattern(".*", Read)
	f := loadGrantFile(t)
	for i, r := range []*TokenRequest{r1, r2, r3} {
		got, err := json.Marshal(r)
		require.NoError(t, err)
		assert.JSONEq(t, f.Others[i].ExpectedBody, string(got), f.Others[i].Test)
	}
}

func TestGrantBodyExactBytes(t *testing.T) {
	t.Parallel()
	r := NewTokenRequest(time.Hour).
		Channel("b", Read).Channel("a&<>", Write).Channel("a&<>", Read).
		ChannelPattern("^x-.*$", Read).
		Meta("s", "é\u2028\"\\\n\x01").Meta("i", -3).Meta("u", uint8(7)).Meta("f", 1.5).Meta("n", nil).Meta("t", true).
		Meta("bad", "\xff").
		AuthorizedUUID("u-1")
	got, err := r.MarshalJSON()
	require.NoError(t, err)
	want := `{"ttl":60,"permissions":{"resources":{"channels":{"a\u0026\u003c\u003e":3,"b":1},"groups":{},"uuids":{},"users":{},"spaces":{}},` +
		`"patterns":{"channels":{"^x-.*$":1},"groups":{},"uuids":{},"users":{},"spaces":{}},` +
		`"meta":{"bad":"\ufffd","f":1.5,"i":-3,"n":null,"s":"é\u2028\"\\\n\u0001","t":true,"u":7},"uuid":"u-1"}}`
	assert.Equal(t, want, string(got))
	// encoding/json agrees byte for byte on every string.
	for _, s := range []string{"a&<>", "é\u2028\"\\\n\x01", "\xff", "plain", "\u2029\x1f\t\r"} {
		std, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(std), string(appendJSONString(nil, s)))
	}
	var nilReq *TokenRequest
	b, err := nilReq.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ch := func(r *TokenRequest) *TokenRequest { return r.Channel("c", Read) }
	tests := []struct {
		name  string
		req   *TokenRequest
		want  []error
		texts []string
	}{
		{"valid", ch(NewTokenRequest(15 * time.Minute)), nil, nil},
		{"max ttl", ch(NewTokenRequest(MaxTTL)), nil, nil},
		{"ttl seconds", ch(NewTokenRequest(90 * time.Second)), []error{ErrInvalidTTL}, []string{"1m30s is not a whole number of minutes"}},
		{"ttl zero", ch(NewTokenRequest(0)), []error{ErrInvalidTTL}, nil},
		{"ttl negative", ch(NewTokenRequest(-time.Minute)), []error{ErrInvalidTTL}, nil},
		{"ttl over max", ch(NewTokenRequest(MaxTTL + time.Minute)), []error{ErrInvalidTTL}, nil},
		{"nothing granted", NewTokenRequest(time.Hour), []error{ErrNoPermissions}, []string{"grants nothing"}},
		{"zero bits", NewTokenRequest(time.Hour).UUID("uuid-1", 0), []error{ErrNoPermissions}, []string{`uuid "uuid-1" is granted no permission`}},
		{"get on group", NewTokenRequest(time.Hour).ChannelGroup("cg", Read|Get), []error{ErrInvalidPermission}, []string{`channel group "cg" cannot be granted get; groups accept read|manage`}},
		{"join on uuid", NewTokenRequest(time.Hour).UUID("u", Join), []error{ErrInvalidPermission}, []string{`uuid "u" cannot be granted join`}},
		{"create on channel pattern", NewTokenRequest(time.Hour).ChannelPattern(".*", Create), []error{ErrInvalidPermission}, []string{"channel pattern"}},
		{"read on user", NewTokenRequest(time.Hour).User("u", Read), []error{ErrInvalidPermission}, nil},
		{"unknown bit", NewTokenRequest(time.Hour).Channel("c", 1<<9), []error{ErrInvalidPermission}, []string{"0x200"}},
		{"empty name", NewTokenRequest(time.Hour).Channel("", Read), []error{ErrInvalidPermission}, []string{"empty name"}},
		{"empty pattern", NewTokenRequest(time.Hour).UUIDPattern("", Get), []error{ErrInvalidPermission}, nil},
		{"bad utf8 name", NewTokenRequest(time.Hour).Channel("\xff", Read), []error{ErrInvalidPermission}, []string{"UTF-8"}},
		{"empty authorized uuid", ch(NewTokenRequest(time.Hour)).AuthorizedUUID(""), []error{ErrInvalidPermission}, []string{"authorized uuid is empty"}},
		{"empty authorized user", NewTokenRequest(time.Hour).Space("s", Read).AuthorizedUserID(""), []error{ErrInvalidPermission}, nil},
		{"meta nested", ch(NewTokenRequest(time.Hour)).Meta("m", map[string]any{"a": 1}), []error{ErrInvalidMeta}, []string{"map[string]interface {} is not a scalar"}},
		{"meta slice", ch(NewTokenRequest(time.Hour)).Meta("m", []int{1}), []error{ErrInvalidMeta}, nil},
		{"meta NaN", ch(NewTokenRequest(time.Hour)).Meta("m", math.NaN()), []error{ErrInvalidMeta}, []string{"finite"}},
		{"meta Inf32", ch(NewTokenRequest(time.Hour)).Meta("m", float32(math.Inf(1))), []error{ErrInvalidMeta}, nil},
		{"meta empty key", ch(NewTokenRequest(time.Hour)).Meta("", 1), []error{ErrInvalidMeta}, nil},
		{"meta bad key", ch(NewTokenRequest(time.Hour)).Meta("\xfe", 1), []error{ErrInvalidMeta}, nil},
		{"meta bad string", ch(NewTokenRequest(time.Hour)).Meta("k", "\xfe"), []error{ErrInvalidMeta}, nil},
		{"meta scalars ok", ch(NewTokenRequest(time.Hour)).Meta("a", int8(1)).Meta("b", uint64(2)).Meta("c", float32(1.5)).Meta("d", nil).Meta("e", false), nil, nil},
		{"mixed space and channel", NewTokenRequest(time.Hour).Space("s", Read).Channel("c", Read), []error{ErrMixedAPIs}, nil},
		{"mixed user id and uuid", NewTokenRequest(time.Hour).User("u", Get).AuthorizedUUID("x"), []error{ErrMixedAPIs}, nil},
		{"deprecated alone ok", NewTokenRequest(time.Hour).Space("s", Read|Write|Join).User("u", Get).AuthorizedUserID("me"), nil, nil},
		{"nil request", nil, []error{ErrNoPermissions}, []string{"nil"}},
		{"all at once", NewTokenRequest(30*time.Second).ChannelGroup("g", Write).Channel("c", 0).Meta("m", []any{}).Space("s", Read),
			[]error{ErrInvalidTTL, ErrInvalidPermission, ErrNoPermissions, ErrInvalidMeta, ErrMixedAPIs}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.req.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
			var joined interface{ Unwrap() []error }
			if tt.req != nil {
				require.True(t, errors.As(err, &joined))
				assert.Len(t, joined.Unwrap(), len(tt.want), "one error per problem: %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				assert.True(t, strings.HasPrefix(line, "pam: "), "%q", line)
			}
			for _, text := range tt.texts {
				assert.Contains(t, err.Error(), text)
			}
		})
	}
}

func TestBuilderNilReceiver(t *testing.T) {
	t.Parallel()
	var r *TokenRequest
	assert.Nil(t, r.Channel("c", Read).ChannelGroup("g", Read).UUID("u", Get).ChannelPattern("p", Read).
		ChannelGroupPattern("p", Read).UUIDPattern("p", Get).Meta("k", 1).AuthorizedUUID("u").
		AuthorizedUserID("u").Space("s", Read).SpacePattern("s", Read).User("u", Get).UserPattern("u", Get))
	c, rec := setup(t, 200, grantOK)
	_, err := c.GrantToken(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoPermissions)
	assert.Empty(t, rec.requests())
}

func TestGrantMissingKeys(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, 200, grantOK)
	c.keys = Keys{Subscribe: "s"}
	_, err := c.GrantToken(context.Background(), NewTokenRequest(0))
	require.ErrorIs(t, err, ErrMissingSecretKey)
	require.ErrorIs(t, err, ErrMissingPublishKey)
	require.ErrorIs(t, err, ErrInvalidTTL)
	require.ErrorIs(t, err, ErrNoPermissions)
	err = c.RevokeToken(context.Background(), "tok")
	require.ErrorIs(t, err, ErrMissingSecretKey)
	assert.Empty(t, rec.requests(), "nothing is sent when keys are missing")
}

func TestGrantBadSuccessBody(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"not json", `{"data":{}}`, `{"data":{"token":""}}`, `[]`, ``} {
		c, _ := setup(t, 200, body)
		_, err := c.GrantToken(context.Background(), NewTokenRequest(time.Hour).Channel("c", Read))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), "pam: grant token: ")
	}
}

func TestGrantContext(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, 200, grantOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GrantToken(ctx, NewTokenRequest(time.Hour).Channel("c", Read))
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "signature")
	//nolint:staticcheck // a nil context must be an error, not a panic
	_, err = c.GrantToken(nil, NewTokenRequest(time.Hour).Channel("c", Read)) //lint:ignore SA1012 testing nil
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil context")
	assert.Empty(t, rec.requests())
}

func TestGrantTimestampFromClock(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, http.StatusOK, grantOK, WithClock(fixedClock(1795413158)))
	_, err := c.GrantToken(context.Background(), NewTokenRequest(time.Hour).Channel("c", Read))
	require.NoError(t, err)
	assert.Equal(t, "1795413158", rec.requests()[0].Query.Get("timestamp"))
}

// TestTokenRequestEntries: names added twice are merged (bits ORed), a
// Space and a Channel of the same name are one channel on the wire, the
// last meta value of a key wins, names come out sorted whatever the order
// they were added in, and a copy of a request never changes the original.
func TestTokenRequestEntries(t *testing.T) {
	t.Parallel()
	r := NewTokenRequest(time.Minute).
		Channel("b", Write).ChannelPattern("^b$", Read).Channel("a", Read).Channel("b", Read).
		UUID("u", Get).ChannelGroup("g", Manage).ChannelGroup("g", Read).
		Meta("k", 1).Meta("j", "x").Meta("k", 2)
	body, err := r.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"ttl":1,"permissions":{
		"resources":{"channels":{"a":1,"b":3},"groups":{"g":5},"uuids":{"u":32},"users":{},"spaces":{}},
		"patterns":{"channels":{"^b$":1},"groups":{},"uuids":{},"users":{},"spaces":{}},
		"meta":{"j":"x","k":2}}}`, string(body))
	assert.Contains(t, string(body), `"channels":{"a":1,"b":3}`, "sorted")
	assert.Contains(t, string(body), `"meta":{"j":"x","k":2}`, "sorted, last wins")

	legacy := NewTokenRequest(time.Minute).Space("s", Read).User("p", Get).Space("s", Write).User("p", Update)
	body, err = legacy.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(body), `"resources":{"channels":{"s":3},"groups":{},"uuids":{"p":96}`)

	// A copy appends into its own memory, not the original's.
	orig := NewTokenRequest(time.Minute).Channel("a", Read).Meta("m", 1)
	cp := *orig
	cp.Channel("copy", Write).Meta("c", 1)
	orig.Channel("orig", Read).Meta("o", 1)
	ob, err := orig.MarshalJSON()
	require.NoError(t, err)
	cb, err := cp.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(ob), `"channels":{"a":1,"orig":1}`)
	assert.Contains(t, string(ob), `"meta":{"m":1,"o":1}`)
	assert.Contains(t, string(cb), `"channels":{"a":1,"copy":2}`)
	assert.Contains(t, string(cb), `"meta":{"c":1,"m":1}`)

	// Many names in any order come out sorted and merged; encoding the same
	// request from many goroutines is safe and gives the same bytes.
	big := NewTokenRequest(time.Minute)
	want := NewTokenRequest(time.Minute)
	for i := range 100 {
		big.Channel(fmt.Sprintf("c-%03d", (i*37)%100), Read)
		want.Channel(fmt.Sprintf("c-%03d", i), Read)
	}
	big.Channel("c-050", Write)
	want.Channel("c-050", Write)
	wb, err := want.MarshalJSON()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gb, err := big.MarshalJSON()
			assert.NoError(t, err)
			assert.Equal(t, string(wb), string(gb))
			assert.NoError(t, big.Validate())
		}()
	}
	wg.Wait()
	assert.Contains(t, string(wb), `"c-049":1,"c-050":3,"c-051":1`)
}
