package pam

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/vectors"
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
	vectors.Load(t, "grant_bodies.json", &f)
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
			setKeys(c, keys)

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
				assert.Equal(t, grantToken, tok)
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

func benchRequest() *TokenRequest {
	return NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", Read|Write).
		ChannelGroup("friends", Read).
		UUID("user-1", Get|Update).
		ChannelPattern("^lobby-[a-z]+$", Read).
		Meta("plan", "pro").Meta("seats", 3)
}

// BenchmarkGrantRequest builds, validates and encodes a grant request: the
// part of a grant before signing and sending.
func BenchmarkGrantRequest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r := benchRequest()
		if err := r.Validate(); err != nil {
			b.Fatal(err)
		}
		if _, err := r.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzTokenRequest builds requests from arbitrary names, bits and meta and
// checks that nothing panics, that Validate accepts only requests whose body
// is valid JSON, and that every problem is reported with the pam: prefix.
func FuzzTokenRequest(f *testing.F) {
	f.Add(int64(60), "room-1", uint32(3), "^room-.*$", uint32(1), "k", "v", uint8(0))
	f.Add(int64(0), "", uint32(0), "(", uint32(1<<9), "", "\xff", uint8(3))
	f.Add(int64(43200), "a&<>\u2028", uint32(239), "x", uint32(104), "é", "\"\\", uint8(5))
	f.Fuzz(func(t *testing.T, minutes int64, name string, bits uint32, pattern string, pbits uint32, mk, mv string, kind uint8) {
		r := NewTokenRequest(time.Duration(minutes) * time.Minute)
		rt := ResourceType(kind % 5)
		if kind&8 != 0 {
			r.AuthorizedUUID(mk)
		}
		switch rt {
		case Channel:
			r.Channel(name, Permission(bits)).ChannelPattern(pattern, Permission(pbits))
		case ChannelGroup:
			r.ChannelGroup(name, Permission(bits)).ChannelGroupPattern(pattern, Permission(pbits))
		case UUID:
			r.UUID(name, Permission(bits)).UUIDPattern(pattern, Permission(pbits))
		case Space:
			r.Space(name, Permission(bits)).SpacePattern(pattern, Permission(pbits))
		case User:
			r.User(name, Permission(bits)).UserPattern(pattern, Permission(pbits))
		}
		r.Meta(mk, mv)
		body, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON body %q", body)
		}
		if verr := r.Validate(); verr != nil {
			for _, line := range strings.Split(verr.Error(), "\n") {
				if !strings.HasPrefix(line, "pam: ") {
					t.Fatalf("error line without prefix: %q", line)
				}
			}
			return
		}
		// A valid request round-trips through JSON with the names intact.
		var parsed struct {
			TTL         int64 `json:"ttl"`
			Permissions struct {
				Resources map[string]map[string]uint32 `json:"resources"`
				Meta      map[string]string            `json:"meta"`
			} `json:"permissions"`
		}
		if err := json.Unmarshal(body, &parsed); err != nil {
			t.Fatal(err)
		}
		if parsed.TTL != minutes || parsed.Permissions.Meta[mk] != mv {
			t.Fatalf("body %s does not carry ttl %d and meta %q=%q", body, minutes, mk, mv)
		}
		wire := map[ResourceType]string{Channel: "channels", Space: "channels", ChannelGroup: "groups", UUID: "uuids", User: "uuids"}[rt]
		if parsed.Permissions.Resources[wire][name] != bits {
			t.Fatalf("body %s lost %s %q=%d", body, wire, name, bits)
		}
	})
}
