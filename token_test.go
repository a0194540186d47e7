package pam_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/tokencodec"
	"github.com/pamkit/pam/internal/vectors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// grantsByWireName returns the grants keyed as the vectors key them, with
// absent maps as empty ones.
func grantsByWireName(g pam.Grants) map[string]map[string]pam.Permission {
	out := map[string]map[string]pam.Permission{}
	for k, m := range map[string]map[string]pam.Permission{
		"channels": g.Channels, "groups": g.ChannelGroups, "uuids": g.UUIDs, "spaces": g.Spaces, "users": g.Users,
	} {
		out[k] = map[string]pam.Permission{}
		for n, p := range m {
			out[k][n] = p
		}
	}
	return out
}

// vectorGrants returns a vector's grants as Permissions, with absent maps
// as empty ones.
func vectorGrants(m map[string]map[string]uint32) map[string]map[string]pam.Permission {
	out := map[string]map[string]pam.Permission{}
	for _, k := range []string{"channels", "groups", "uuids", "spaces", "users"} {
		out[k] = map[string]pam.Permission{}
		for n, p := range m[k] {
			out[k][n] = pam.Permission(p)
		}
	}
	return out
}

func TestParseTokenVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors.Tokens(t) {
		t.Run(v.ID, func(t *testing.T) {
			t.Parallel()
			tok, err := pam.ParseToken(v.Token)
			if !v.Decodable {
				require.Error(t, err)
				assert.ErrorIs(t, err, pam.ErrMalformedToken)
				assert.Greater(t, len(err.Error()), len(pam.ErrMalformedToken.Error())+10, "the error gives a reason")
				assert.NotContains(t, err.Error(), v.Token)
				return
			}
			require.NoError(t, err)
			want := v.Decoded
			assert.EqualValues(t, want.Version, tok.Version)
			assert.Equal(t, time.Unix(int64(want.Timestamp), 0).UTC(), tok.IssuedAt)
			assert.Equal(t, time.Duration(want.TTL)*time.Minute, tok.TTL)
			if want.AuthorizedUUID == nil {
				assert.Empty(t, tok.AuthorizedUUID)
			} else {
				assert.Equal(t, *want.AuthorizedUUID, tok.AuthorizedUUID)
			}
			assert.Equal(t, vectorGrants(want.Resources), grantsByWireName(tok.Resources))
			assert.Equal(t, vectorGrants(want.Patterns), grantsByWireName(tok.Patterns))
			if len(want.Meta) == 0 {
				assert.Nil(t, tok.Meta)
			} else {
				wm, err := json.Marshal(want.Meta)
				require.NoError(t, err)
				gm, err := json.Marshal(tok.Meta)
				require.NoError(t, err)
				assert.JSONEq(t, string(wm), string(gm))
				assertJSONFriendly(t, tok.Meta)
			}
			assert.Equal(t, want.SignatureHex, hex.EncodeToString(tok.Signature))
		})
	}
}

// assertJSONFriendly checks that v holds only the types Token.Meta promises.
func assertJSONFriendly(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, string, bool, int64, uint64, float64:
	case []any:
		for _, e := range x {
			assertJSONFriendly(t, e)
		}
	case map[string]any:
		for _, e := range x {
			assertJSONFriendly(t, e)
		}
	default:
		t.Errorf("meta value of type %T", v)
	}
}

func TestParseTokenMeta(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(vectors.TokenByID(t, "tok28").Token)
	require.NoError(t, err)
	app := tok.Meta["app_data"].(map[string]any)
	assert.Equal(t, "production", app["environment"])
	assert.Equal(t, []any{"chat", "presence", "push", "storage"}, app["features"])
	cfg := app["config"].(map[string]any)
	assert.Equal(t, int64(1000), cfg["cache_size"])
	assert.Equal(t, false, cfg["debug"])
	user := tok.Meta["user_data"].(map[string]any)
	assert.Equal(t, true, user["settings"].(map[string]any)["notifications"])
}

// TestParseTokenForms checks every spelling of a token the service's
// clients produce or mangle it into.
func TestParseTokenForms(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"tok01", "tok28", "tok48", "tok13"} { // 0, 1 and 2 padding characters
		v := vectors.TokenByID(t, id)
		want, err := pam.ParseToken(v.Token)
		require.NoError(t, err)
		raw, err := base64.URLEncoding.DecodeString(v.Token)
		require.NoError(t, err)
		std := base64.StdEncoding.EncodeToString(raw)
		forms := map[string]string{
			"as issued":            v.Token,
			"unpadded":             strings.TrimRight(v.Token, "="),
			"standard alphabet":    std,
			"standard unpadded":    strings.TrimRight(std, "="),
			"percent-encoded":      strings.ReplaceAll(v.Token, "=", "%3D"),
			"percent lower-case":   strings.ReplaceAll(v.Token, "=", "%3d"),
			"query-escaped std":    strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(std),
			"surrounding newline":  "  " + v.Token + "\n",
			"percent-encoded all":  percentAll(v.Token[:8]) + v.Token[8:],
			"url unpadded + %3D's": strings.TrimRight(v.Token, "=") + strings.Repeat("%3D", strings.Count(v.Token, "=")),
		}
		for name, s := range forms {
			got, err := pam.ParseToken(s)
			require.NoError(t, err, "%s %s", id, name)
			assert.Equal(t, want, got, "%s %s", id, name)
		}
	}
}

func percentAll(s string) string {
	var b strings.Builder
	for i := range len(s) {
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{s[i]})))
	}
	return b.String()
}

// CBOR helpers for hand-made hostile tokens.
func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n < 1<<8:
		return []byte{m | 24, byte(n)}
	case n < 1<<16:
		return []byte{m | 25, byte(n >> 8), byte(n)}
	case n < 1<<32:
		return []byte{m | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{m | 27, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func cbUint(n uint64) []byte  { return cborHead(0, n) }
func cbBytes(s string) []byte { return append(cborHead(2, uint64(len(s))), s...) }
func cbText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }
func cbMap(kv ...[]byte) []byte {
	return concat(append([][]byte{cborHead(5, uint64(len(kv)/2))}, kv...)...)
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

type kv struct {
	key string
	val []byte
}

// tokenPairs is tok01's content as top-level pairs.
func tokenPairs() []kv {
	grants := func(ch, grp, id string) []byte {
		return cbMap(
			cbBytes("chan"), cbMap(cbText(ch), cbUint(239)),
			cbBytes("grp"), cbMap(cbText(grp), cbUint(5)),
			cbBytes("usr"), cbMap(),
			cbBytes("spc"), cbMap(),
			cbBytes("uuid"), cbMap(cbText(id), cbUint(104)),
		)
	}
	return []kv{
		{"v", cbUint(2)},
		{"t", cbUint(1627968380)},
		{"ttl", cbUint(60)},
		{"res", grants("channel-1", "channel_group-1", "uuid-1")},
		{"pat", grants(`^channel-\S*$`, `^:channel_group-\S*$`, `^uuid-\S*$`)},
		{"meta", cbMap()},
		{"uuid", cbText("test-authorized-uuid")},
		{"sig", cbBytes(strings.Repeat("s", 32))},
	}
}

func encodePairs(pairs []kv) []byte {
	parts := [][]byte{cborHead(5, uint64(len(pairs)))}
	for _, p := range pairs {
		parts = append(parts, cbBytes(p.key), p.val)
	}
	return concat(parts...)
}

func tokenString(raw []byte) string { return base64.URLEncoding.EncodeToString(raw) }

func withValue(key string, val []byte) string {
	pairs := tokenPairs()
	for i := range pairs {
		if pairs[i].key == key {
			pairs[i].val = val
		}
	}
	return tokenString(encodePairs(pairs))
}

// wrongValues are values of every CBOR kind, by the kind's name.
var wrongValues = map[string][]byte{
	"uint": {0x01}, "negative": {0x20}, "bytes": {0x41, 'x'}, "text": {0x61, 'x'},
	"array": {0x80}, "map": {0xa0}, "tag": {0xc1, 0x00}, "false": {0xf4}, "null": {0xf6},
	"undefined": {0xf7}, "float": {0xf9, 0x3c, 0x00}, "indefinite": {0x5f, 0x41, 'x', 0xff},
}

func TestParseTokenHand(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(tokenString(encodePairs(tokenPairs())))
	require.NoError(t, err, "the hand-made base token parses")
	want, err := pam.ParseToken(vectors.TokenByID(t, "tok01").Token)
	require.NoError(t, err)
	want.Signature = []byte(strings.Repeat("s", 32))
	assert.Equal(t, want, tok)
}

// TestParseTokenWrongTypes puts a value of every wrong kind under every key
// of a token, of its res/pat type maps and of its names.
func TestParseTokenWrongTypes(t *testing.T) {
	t.Parallel()
	right := map[string]string{"v": "uint", "t": "uint", "ttl": "uint", "res": "map", "pat": "map",
		"meta": "map", "uuid": "text", "sig": "bytes"}
	type tcase struct{ name, token string }
	var cases []tcase
	for key, ok := range right {
		for kind, val := range wrongValues {
			if kind != ok {
				cases = append(cases, tcase{key + " " + kind, withValue(key, val)})
			}
		}
	}
	for _, typeKey := range []string{"chan", "grp", "uuid", "usr", "spc"} {
		for kind, val := range wrongValues {
			if kind == "map" {
				continue
			}
			cases = append(cases, tcase{"res." + typeKey + " " + kind, withValue("res", cbMap(cbBytes(typeKey), val))})
			if kind != "uint" {
				cases = append(cases, tcase{"res." + typeKey + " name " + kind,
					withValue("res", cbMap(cbBytes(typeKey), cbMap(cbText("a"), val)))})
			}
		}
	}
	// Keys of the wrong string kind.
	cases = append(cases,
		tcase{"text top key", tokenString(concat(cborHead(5, 1), cbText("v"), cbUint(2)))},
		tcase{"text type key", withValue("res", cbMap(cbText("chan"), cbMap()))},
		tcase{"byte-string name", withValue("res", cbMap(cbBytes("chan"), cbMap(cbBytes("a"), cbUint(1))))},
		tcase{"byte-string meta key", withValue("meta", cbMap(cbBytes("a"), cbUint(1)))},
		tcase{"int meta key", withValue("meta", cbMap(cbUint(1), cbUint(1)))},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := pam.ParseToken(c.token)
			require.Error(t, err)
			assert.ErrorIs(t, err, pam.ErrMalformedToken)
			assert.True(t, strings.HasPrefix(err.Error(), "pam: malformed token: "), err.Error())
		})
	}
}

type hostileCase struct {
	name  string
	token string
	is    error
	says  string // the message contains this
}

// hostileCases are inputs meant to crash, hang or exhaust a decoder.
func hostileCases() []hostileCase {
	nested := func(n int) string {
		raw := concat(cborHead(5, 1), cbBytes("meta"), cborHead(5, 1), cbText("k"))
		raw = append(raw, []byte(strings.Repeat("\x81", n))...)
		return tokenString(append(raw, 0x00))
	}
	huge := uint64(1) << 62
	pairs := tokenPairs()
	dup := append(append([]kv{}, pairs...), pairs[0])
	trailing := tokenString(append(encodePairs(pairs), 0x00))
	return []hostileCase{
		{"empty", "", pam.ErrMalformedToken, ""},
		{"white space", " \n\t", pam.ErrMalformedToken, ""},
		{"over 32 KiB", strings.Repeat("A", 32<<10+4), pam.ErrMalformedToken, "longer than"},
		{"100,000 nested arrays", nested(100000), pam.ErrMalformedToken, "longer than"},
		{"20,000 nested arrays (under 32 KiB)", nested(20000), pam.ErrMalformedToken, "nested deeper"},
		{"17 levels", nested(15), pam.ErrMalformedToken, "nested deeper"},
		{"byte string of 2^62", withValue("sig", cborHead(2, huge)), pam.ErrMalformedToken, ""},
		{"text of 2^62", withValue("uuid", cborHead(3, huge)), pam.ErrMalformedToken, ""},
		{"array of 2^62", withValue("meta", concat(cborHead(5, 1), cbText("k"), cborHead(4, huge))), pam.ErrMalformedToken, ""},
		{"map of 2^62", withValue("res", cborHead(5, huge)), pam.ErrMalformedToken, ""},
		{"top map of 2^62", tokenString(cborHead(5, huge)), pam.ErrMalformedToken, ""},
		{"length 2^64-1", withValue("sig", cborHead(2, ^uint64(0))), pam.ErrMalformedToken, ""},
		{"indefinite top map", tokenString([]byte{0xbf, 0x41, 'v', 0x02, 0xff}), pam.ErrMalformedToken, ""},
		{"indefinite names", withValue("res", cbMap(cbBytes("chan"), []byte{0xbf, 0xff})), pam.ErrMalformedToken, ""},
		{"indefinite text", withValue("uuid", []byte{0x7f, 0x61, 'a', 0xff}), pam.ErrMalformedToken, ""},
		{"duplicate top key", tokenString(encodePairs(dup)), pam.ErrMalformedToken, ""},
		{"duplicate type key", withValue("res", cbMap(cbBytes("grp"), cbMap(), cbBytes("grp"), cbMap())), pam.ErrMalformedToken, ""},
		{"duplicate name", withValue("pat", cbMap(cbBytes("chan"), cbMap(cbText("a"), cbUint(1), cbText("a"), cbUint(3)))), pam.ErrMalformedToken, ""},
		{"duplicate meta key", withValue("meta", cbMap(cbText("a"), cbUint(1), cbText("a"), cbUint(1))), pam.ErrMalformedToken, ""},
		{"non-UTF-8 uuid", withValue("uuid", cbText("\xff\xfe")), pam.ErrMalformedToken, ""},
		{"non-UTF-8 name", withValue("res", cbMap(cbBytes("chan"), cbMap(cbText("a\xc0"), cbUint(1)))), pam.ErrMalformedToken, ""},
		{"non-UTF-8 meta", withValue("meta", cbMap(cbText("k"), cbText("\xed\xa0\x80"))), pam.ErrMalformedToken, ""},
		{"top-level array", tokenString([]byte{0x82, 0x01, 0x02}), pam.ErrMalformedToken, ""},
		{"top-level text", tokenString(cbText("token")), pam.ErrMalformedToken, ""},
		{"top-level null", tokenString([]byte{0xf6}), pam.ErrMalformedToken, ""},
		{"trailing bytes", trailing, pam.ErrMalformedToken, ""},
		{"truncated", tokenString(encodePairs(pairs))[:100], pam.ErrMalformedToken, ""},
		{"missing sig", tokenString(encodePairs(pairs[:7])), pam.ErrMalformedToken, ""},
		{"undefined permission bits", withValue("res", cbMap(cbBytes("chan"), cbMap(cbText("a"), cbUint(256)))), pam.ErrMalformedToken, ""},
		{"bitmask over uint32", withValue("res", cbMap(cbBytes("chan"), cbMap(cbText("a"), cbUint(1<<40)))), pam.ErrMalformedToken, ""},
		{"NaN in meta", withValue("meta", cbMap(cbText("k"), []byte{0xf9, 0x7e, 0x00})), pam.ErrMalformedToken, ""},
		{"issued after 9999", withValue("t", cbUint(1<<40)), pam.ErrMalformedToken, ""},
		{"ttl overflows", withValue("ttl", cbUint(1<<62)), pam.ErrMalformedToken, ""},
		{"not base64", "qEF2AkF0*mEI", pam.ErrMalformedToken, ""},
		{"bad percent", "qEF2AkF0%G1", pam.ErrMalformedToken, ""},
		{"version 1", withValue("v", cbUint(1)), pam.ErrUnsupportedVersion, ""},
		{"version 3", withValue("v", cbUint(3)), pam.ErrUnsupportedVersion, ""},
		{"version 2^64-1", withValue("v", cbUint(^uint64(0))), pam.ErrUnsupportedVersion, ""},
	}
}

// TestParseTokenHostile checks that each hostile input fails with a short
// message that names the problem, without panicking. (Its cost is bounded
// by TestParseTokenHostileAllocs.)
func TestParseTokenHostile(t *testing.T) {
	t.Parallel()
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tok, err := pam.ParseToken(c.token)
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.ErrorIs(t, err, c.is)
			if errors.Is(c.is, pam.ErrUnsupportedVersion) {
				assert.NotErrorIs(t, err, pam.ErrMalformedToken)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "pam: "), err.Error())
			assert.Contains(t, err.Error(), c.says)
			assert.Less(t, len(err.Error()), 300, "short message: %s", err)
		})
	}
}

// TestParseTokenHostileAllocs checks that hostile inputs stay cheap in
// memory too. AllocsPerRun cannot run in a parallel test.
func TestParseTokenHostileAllocs(t *testing.T) { //nolint:paralleltest // AllocsPerRun
	for _, c := range hostileCases() {
		allocs := testing.AllocsPerRun(5, func() { _, _ = pam.ParseToken(c.token) })
		assert.LessOrEqual(t, allocs, 40.0, c.name)
	}
}

// TestParseTokenUnknownKeys checks that keys this package does not know
// are skipped, so that additions to the format do not break parsing.
func TestParseTokenUnknownKeys(t *testing.T) {
	t.Parallel()
	pairs := append(tokenPairs(), kv{"future", cbMap(cbText("x"), concat(cborHead(4, 2), cbUint(1), cbText("y")))})
	pairs[3].val = cbMap(cbBytes("chan"), cbMap(cbText("channel-1"), cbUint(239)), cbBytes("obj"), cbMap(cbText("o"), cbUint(1)))
	tok, err := pam.ParseToken(tokenString(encodePairs(pairs)))
	require.NoError(t, err)
	assert.Equal(t, map[string]pam.Permission{"channel-1": 239}, tok.Resources.Channels)
}

func TestTokenJSONGolden(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(vectors.TokenByID(t, "tok01").Token)
	require.NoError(t, err)
	got, err := json.MarshalIndent(tok, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	golden := vectors.Path(t, "tok01.json")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -run TestTokenJSONGolden -update . to create it")
	assert.Equal(t, string(want), string(got))

	// A value marshals the same as a pointer.
	byValue, err := json.MarshalIndent(*tok, "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(got), string(byValue)+"\n")
}

func TestTokenJSONShape(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(vectors.TokenByID(t, "tok41").Token) // spaces and users, create-less
	require.NoError(t, err)
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "2025-02-11T21:46:03Z", m["expires_at"])
	assert.Equal(t, "some_uuid", m["authorized_uuid"])
	res := m["resources"].(map[string]any)
	assert.Contains(t, res, "spaces")
	assert.Contains(t, res, "users")
	assert.Equal(t, map[string]any{"read": true, "write": true, "manage": true, "delete": true,
		"get": true, "update": true, "join": true}, res["channels"].(map[string]any)["some_channel_id"])

	tok, err = pam.ParseToken(vectors.TokenByID(t, "tok02").Token) // no uuid, no spaces or users
	require.NoError(t, err)
	b, err = json.Marshal(tok)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Nil(t, m["authorized_uuid"])
	assert.Contains(t, string(b), `"meta":{}`)
	for _, section := range []string{"resources", "patterns"} {
		s := m[section].(map[string]any)
		for _, k := range []string{"channels", "groups", "uuids"} {
			assert.NotNil(t, s[k], "%s.%s is {} not null", section, k)
		}
		assert.NotContains(t, s, "spaces")
		assert.NotContains(t, s, "users")
	}
}

func TestTokenJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range vectors.Tokens(t) {
		if !v.Decodable {
			continue
		}
		tok, err := pam.ParseToken(v.Token)
		require.NoError(t, err, v.ID)
		b, err := json.Marshal(tok)
		require.NoError(t, err, v.ID)
		var back pam.Token
		require.NoError(t, json.Unmarshal(b, &back), v.ID)
		again, err := json.Marshal(back)
		require.NoError(t, err, v.ID)
		assert.Equal(t, string(b), string(again), v.ID)
		if len(tok.Meta) == 0 {
			assert.Equal(t, *tok, back, v.ID)
		}
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(vectors.TokenByID(t, "tok01").Token)
	require.NoError(t, err)
	issued := time.Date(2021, 8, 3, 5, 26, 20, 0, time.UTC)
	assert.Equal(t, issued, tok.IssuedAt)
	assert.Equal(t, issued.Add(time.Hour), tok.ExpiresAt())
	assert.False(t, tok.Expired(issued))
	assert.False(t, tok.Expired(issued.Add(time.Hour-time.Nanosecond)))
	assert.True(t, tok.Expired(issued.Add(time.Hour)))
	assert.True(t, tok.Expired(time.Now()))
}

func BenchmarkParseToken(b *testing.B) {
	for _, v := range []vectors.Token{vectors.TokenByID(b, "tok01"), vectors.TokenByID(b, "largest")} {
		b.Run(v.ID, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v.Token)))
			for b.Loop() {
				if _, err := pam.ParseToken(v.Token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzParseToken feeds ParseToken arbitrary strings, seeded from the
// vectors and the hostile cases. Nothing may panic, every failure must wrap
// ErrMalformedToken or ErrUnsupportedVersion, and whatever parses must
// satisfy the invariants: parsing is deterministic, permission bits stay
// within the defined ones, the JSON form re-parses to the same token, and
// Authorize never allows what Allows refuses.
func FuzzParseToken(f *testing.F) {
	for _, v := range vectors.Tokens(f) {
		f.Add(v.Token)
		f.Add(strings.TrimRight(v.Token, "="))
	}
	for _, c := range hostileCases() {
		if len(c.token) < 4096 {
			f.Add(c.token)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := pam.ParseToken(s)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			if !errors.Is(err, pam.ErrMalformedToken) && !errors.Is(err, pam.ErrUnsupportedVersion) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "pam: ") || len(s) > 60 && strings.Contains(err.Error(), s) {
				t.Fatalf("bad message: %v", err)
			}
			return
		}
		again, err := pam.ParseToken(s)
		if err != nil {
			t.Fatalf("second parse: %v", err)
		}
		if !equalJSON(t, tok, again) {
			t.Fatal("parsing twice gave different tokens")
		}
		if tok.Version != 2 || tok.TTL < 0 || tok.ExpiresAt().Year() > 9999 {
			t.Fatalf("version %d, ttl %v, expiry %v", tok.Version, tok.TTL, tok.ExpiresAt())
		}
		for _, g := range []pam.Grants{tok.Resources, tok.Patterns} {
			for _, m := range []map[string]pam.Permission{g.Channels, g.ChannelGroups, g.UUIDs, g.Spaces, g.Users} {
				for name, p := range m {
					if p&^pam.AllPermissions != 0 {
						t.Fatalf("%q has undefined bits %#x", name, uint32(p))
					}
				}
			}
		}
		b, err := json.Marshal(tok)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back pam.Token
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if !equalJSON(t, tok, &back) {
			t.Fatalf("JSON does not round-trip:\n%s", b)
		}
		back.Meta, tok.Meta = nil, nil // numbers may change Go type, not value
		if fmtToken(&back) != fmtToken(tok) {
			t.Fatalf("JSON round trip changed the token:\n%s\n%s", fmtToken(tok), fmtToken(&back))
		}
		for name, p := range tok.Resources.Channels {
			a := pam.Access{Name: name, Permission: p | pam.Read, UUID: tok.AuthorizedUUID, At: tok.IssuedAt}
			if tok.Authorize(a) == nil && !tok.Allows(pam.Channel, name, a.Permission) {
				t.Fatal("Authorize allowed what Allows refused")
			}
		}
	})
}

func equalJSON(t *testing.T, a, b *pam.Token) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(x) == string(y)
}

func fmtToken(t *pam.Token) string {
	b, _ := json.Marshal(struct {
		T   pam.Token
		Raw any
	}{*t, []any{t.IssuedAt.UnixNano(), t.TTL, t.Resources, t.Patterns, t.Signature}})
	return string(b)
}

// A ttl that runs past year 9999 is refused in words: "1 minute", not
// "1 minutes".
func TestParseTokenTTLOutOfRange(t *testing.T) {
	t.Parallel()
	for ttl, says := range map[uint64]string{1: "a ttl of 1 minute is out of range", 2: "a ttl of 2 minutes is out of range"} {
		b, err := tokencodec.Encode(&tokencodec.Token{
			Version: 2, Timestamp: 253402300799 - 30, TTL: ttl,
			Res: tokencodec.Grants{Chan: map[string]uint32{"c": 1}}, Sig: make([]byte, 32),
		}, true)
		require.NoError(t, err)
		_, err = pam.ParseToken(base64.URLEncoding.EncodeToString(b))
		require.ErrorIs(t, err, pam.ErrMalformedToken)
		assert.Contains(t, err.Error(), says)
	}
}
