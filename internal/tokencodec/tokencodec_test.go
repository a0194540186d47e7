package tokencodec

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rawOf(t testing.TB, tok string) []byte {
	t.Helper()
	b, err := Unwrap(nil, tok)
	require.NoError(t, err)
	return b
}

func grantsAsVector(g *Grants) map[string]map[string]uint32 {
	out := map[string]map[string]uint32{}
	for name, m := range map[string]map[string]uint32{
		"channels": g.Chan, "groups": g.Grp, "uuids": g.UUID, "users": g.Usr, "spaces": g.Spc,
	} {
		if m == nil {
			m = map[string]uint32{}
		}
		out[name] = m
	}
	return out
}

func withEmptyTypes(m map[string]map[string]uint32) map[string]map[string]uint32 {
	out := map[string]map[string]uint32{}
	for _, k := range []string{"channels", "groups", "uuids", "users", "spaces"} {
		out[k] = map[string]uint32{}
		for n, v := range m[k] {
			out[k][n] = v
		}
	}
	return out
}

func TestDecodeVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors.Tokens(t) {
		t.Run(v.ID, func(t *testing.T) {
			t.Parallel()
			raw, err := Unwrap(nil, v.Token)
			if !v.Decodable {
				if err == nil {
					_, err = Decode(raw)
				}
				require.Error(t, err)
				_, refErr := decodeReference(raw)
				require.Error(t, refErr)
				return
			}
			require.NoError(t, err)
			got, err := Decode(raw)
			require.NoError(t, err)
			want := v.Decoded
			assert.Equal(t, want.Version, got.Version)
			assert.Equal(t, want.Timestamp, got.Timestamp)
			assert.Equal(t, want.TTL, got.TTL)
			if want.AuthorizedUUID == nil {
				assert.False(t, got.HasUUID)
			} else {
				assert.True(t, got.HasUUID)
				assert.Equal(t, *want.AuthorizedUUID, got.UUID)
			}
			assert.Equal(t, withEmptyTypes(want.Resources), grantsAsVector(&got.Res))
			assert.Equal(t, withEmptyTypes(want.Patterns), grantsAsVector(&got.Pat))
			wm, _ := json.Marshal(want.Meta)
			gm, _ := json.Marshal(got.Meta)
			if len(want.Meta) == 0 {
				assert.Nil(t, got.Meta)
			} else {
				assert.JSONEq(t, string(wm), string(gm))
			}
			assert.Equal(t, want.SignatureHex, hex.EncodeToString(got.Sig))

			ref, err := decodeReference(raw)
			require.NoError(t, err)
			assert.Equal(t, got, ref)
		})
	}
}

// TestEncodeRoundTrip checks which vector tokens Encode reproduces byte for
// byte. The service writes names and meta keys in no particular order, and
// older tokens had another order of type keys, so only tokens in today's
// layout whose maps hold at most one entry, or happen to be sorted, can
// round-trip; every token must at least decode back to the same value, and
// the strict reference decoder must read what Encode writes.
func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	exact := map[string]bool{}
	for _, v := range vectors.Tokens(t) {
		if !v.Decodable {
			continue
		}
		raw := rawOf(t, v.Token)
		tok, err := Decode(raw)
		require.NoError(t, err, v.ID)
		enc, err := Encode(tok, true)
		require.NoError(t, err, v.ID)
		back, err := Decode(enc)
		require.NoError(t, err, v.ID)
		assert.Equal(t, tok, back, v.ID)
		ref, err := decodeReference(enc)
		require.NoError(t, err, v.ID)
		assert.Equal(t, tok, ref, v.ID)
		if bytes.Equal(enc, raw) {
			exact[v.ID] = true
		}
	}
	// The service writes names and meta keys in map order; Encode sorts
	// them. These tokens have some map with unsorted keys.
	unsorted := map[string]bool{
		"tok06": true, "tok09": true, "tok27": true, "tok28": true, "tok35": true,
		"tok36": true, "tok37": true, "tok39": true, "tok43": true, "tok48": true,
	}
	// These tokens predate today's type-key order: users before spaces
	// (until mid-2022), or no "uuid" type key (2019 to 2021).
	olderLayout := map[string]bool{
		"tok01": true, "tok02": true, "tok03": true, "tok04": true, "tok05": true,
		"tok06": true, "tok09": true, "tok11": true,
	}
	for _, v := range vectors.Tokens(t) {
		if v.Decodable {
			assert.Equal(t, !unsorted[v.ID] && !olderLayout[v.ID], exact[v.ID], "%s byte-exact round trip", v.ID)
		}
	}
}

func TestEncodeUnsigned(t *testing.T) {
	t.Parallel()
	tok := &Token{Version: 2, Timestamp: 1700000000, TTL: 15, UUID: "u", HasUUID: true,
		Res: Grants{Chan: map[string]uint32{"b": 3, "a": 1}},
		Meta: map[string]any{"n": 1.5, "i": float64(7), "neg": -3, "big": uint64(math.MaxUint64),
			"s": "x", "nil": nil, "t": true, "arr": []any{"a", json.Number("12"), json.Number("0.25")},
			"obj": map[string]any{"k": false}},
		Sig: []byte{1, 2, 3}}
	unsigned, err := Encode(tok, false)
	require.NoError(t, err)
	signed, err := Encode(tok, true)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(signed[1:], unsigned[1:]), "signed token extends the unsigned map")
	assert.Equal(t, byte(0xa7), unsigned[0])
	assert.Equal(t, byte(0xa8), signed[0])
	_, err = Decode(unsigned)
	require.Error(t, err, "sig is required")
	back, err := Decode(signed)
	require.NoError(t, err)
	assert.Equal(t, map[string]uint32{"a": 1, "b": 3}, back.Res.Chan)
	assert.Equal(t, map[string]any{"n": 1.5, "i": int64(7), "neg": int64(-3), "big": uint64(math.MaxUint64),
		"s": "x", "nil": nil, "t": true, "arr": []any{"a", int64(12), 0.25},
		"obj": map[string]any{"k": false}}, back.Meta)

	_, err = Encode(&Token{Meta: map[string]any{"c": make(chan int)}}, false)
	require.Error(t, err)
	_, err = Encode(&Token{Meta: map[string]any{"f": math.NaN()}}, false)
	require.Error(t, err)
}

func TestUnwrap(t *testing.T) {
	t.Parallel()
	payload := []byte("\xa1\x41\x76\x02 any bytes \xff\xfe\xfd at all")
	for n := range 4 {
		p := payload[:len(payload)-n]
		url := base64.URLEncoding.EncodeToString(p)
		std := base64.StdEncoding.EncodeToString(p)
		cases := map[string]string{
			"url padded":   url,
			"url raw":      strings.TrimRight(url, "="),
			"std padded":   std,
			"std raw":      strings.TrimRight(std, "="),
			"percent":      strings.NewReplacer("=", "%3D", "+", "%2B", "/", "%2F").Replace(std),
			"percent even": strings.NewReplacer("=", "%3d", "-", "%2D", "_", "%5F").Replace(url),
		}
		for name, s := range cases {
			got, err := Unwrap(nil, s)
			require.NoError(t, err, "%s %q", name, s)
			assert.Equal(t, p, got, name)
		}
	}
	for name, s := range map[string]string{
		"empty":         "",
		"too long":      strings.Repeat("A", MaxTokenLen+1),
		"bad char":      "AAA*",
		"space":         "AA AA",
		"partial":       "AAAAA",
		"too much pad":  "AA===",
		"pad inside":    "AA==AA",
		"short pad":     "AA=",
		"only pad":      "====",
		"bad percent":   "AA%ZZ",
		"cut percent":   "AAA%3",
		"percent %":     "AA%25",
		"unicode":       "AAAé",
		"pad after 4":   "AAAA=",
		"pad after 3":   "AAA==",
		"pad after one": "A=",
	} {
		_, err := Unwrap(nil, s)
		var te *TextError
		require.True(t, errors.As(err, &te), "%s: %v", name, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good := rawOf(t, vectors.Tokens(t)[0].Token)
	deep := make([]byte, 0, 200020)
	deep = append(deep, 0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x')
	for range 100000 {
		deep = append(deep, 0x81)
	}
	deep = append(deep, 0x00)
	cases := map[string][]byte{
		"empty":            {},
		"top array":        {0x80},
		"top uint":         {0x02},
		"top null":         {0xf6},
		"trailing":         append(append([]byte{}, good...), 0x00),
		"truncated":        good[:len(good)-1],
		"indefinite map":   {0xbf, 0xff},
		"indef in meta":    {0xa1, 0x44, 'm', 'e', 't', 'a', 0xbf, 0xff},
		"huge map":         {0xbb, 0x40, 0, 0, 0, 0, 0, 0, 0},
		"huge string":      {0xa1, 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0},
		"huge array":       {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0x9b, 0x40, 0, 0, 0, 0, 0, 0, 0},
		"100000 nested":    deep,
		"text key":         {0xa1, 0x61, 'v', 0x02},
		"dup key":          {0xa2, 0x41, 'v', 0x02, 0x41, 'v', 0x02},
		"dup unknown":      {0xa2, 0x41, 'x', 0x02, 0x41, 'x', 0x02},
		"version 3":        {0xa1, 0x41, 'v', 0x03},
		"version text":     {0xa1, 0x41, 'v', 0x61, '2'},
		"missing keys":     {0xa1, 0x41, 'v', 0x02},
		"bad utf8 uuid":    {0xa1, 0x44, 'u', 'u', 'i', 'd', 0x61, 0xff},
		"tag":              {0xa1, 0x41, 't', 0xc1, 0x00},
		"undefined meta":   {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0xf7},
		"simple meta":      {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0xf0},
		"NaN meta":         {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0xf9, 0x7e, 0x00},
		"bytes meta":       {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0x41, 0x00},
		"bytes key meta":   {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x41, 'x', 0x00},
		"int key meta":     {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x01, 0x00},
		"neg overflow":     {0xa1, 0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"meta null":        {0xa1, 0x44, 'm', 'e', 't', 'a', 0xf6},
		"res null":         {0xa1, 0x43, 'r', 'e', 's', 0xf6},
		"names null":       {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x44, 'c', 'h', 'a', 'n', 0xf6},
		"bits null":        {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x44, 'c', 'h', 'a', 'n', 0xa1, 0x61, 'a', 0xf6},
		"bits negative":    {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x44, 'c', 'h', 'a', 'n', 0xa1, 0x61, 'a', 0x20},
		"bits undefined":   {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x44, 'c', 'h', 'a', 'n', 0xa1, 0x61, 'a', 0x19, 0x01, 0x00},
		"byte name":        {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x44, 'c', 'h', 'a', 'n', 0xa1, 0x41, 'a', 0x01},
		"text type key":    {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x64, 'c', 'h', 'a', 'n', 0xa0},
		"dup type key":     {0xa1, 0x43, 'r', 'e', 's', 0xa2, 0x43, 'g', 'r', 'p', 0xa0, 0x43, 'g', 'r', 'p', 0xa0},
		"dup name":         {0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x43, 'g', 'r', 'p', 0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x01},
		"reserved ai":      {0xa1, 0x41, 't', 0x1c},
		"break":            {0xa1, 0x41, 't', 0xff},
		"sig text":         {0xa1, 0x43, 's', 'i', 'g', 0x60},
		"too long":         make([]byte, MaxCBORLen+1),
		"float version":    {0xa1, 0x41, 'v', 0xf9, 0x40, 0x00},
		"uuid null":        {0xa1, 0x44, 'u', 'u', 'i', 'd', 0xf6},
		"unknown is bytes": {0xa1, 0x41, 'x', 0x41, 0x00},
	}
	cases["dup among 40 names"] = grpNames(40, "n", 7)
	cases["dup long name"] = grpNames(2, strings.Repeat("é", 600), 1)
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(b)
			require.Error(t, err)
			_, _, checkErr := Check(string(b))
			require.EqualError(t, checkErr, err.Error(), "Check says what Decode says")
			require.Less(t, len(err.Error()), 400, "bounded message: %s", err)
			_, err = decodeReference(b)
			require.Error(t, err)
		})
	}
}

// grpNames is a token fragment whose res.grp map has n names made from
// prefix, the last one a repeat of the name at index dup.
func grpNames(n int, prefix string, dup int) []byte {
	b := []byte{0xa1, 0x43, 'r', 'e', 's', 0xa1, 0x43, 'g', 'r', 'p', 0xb8, byte(n)}
	name := func(i int) string { return prefix + strconv.Itoa(i) }
	for i := range n {
		s := name(i)
		if i == n-1 {
			s = name(dup)
		}
		b = append(b, 0x79, byte(len(s)>>8), byte(len(s)))
		b = append(b, s...)
		b = append(b, 0x01)
	}
	return b
}

// TestCheckAgreesOnVectors: Check accepts what Decode accepts, and returns
// the same issue time and TTL, on every vector.
func TestCheckAgreesOnVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors.Tokens(t) {
		raw, err := Unwrap(nil, v.Token)
		if err != nil {
			continue
		}
		tok, err := Decode(raw)
		ts, ttl, checkErr := Check(string(raw))
		if err != nil {
			require.EqualError(t, checkErr, err.Error(), v.ID)
			continue
		}
		require.NoError(t, checkErr, v.ID)
		require.Equal(t, [2]uint64{tok.Timestamp, tok.TTL}, [2]uint64{ts, ttl}, v.ID)
	}
}

// TestDepthLimit checks that both decoders draw the nesting limit at the
// same place, and that Encode refuses what they would reject.
func TestDepthLimit(t *testing.T) {
	t.Parallel()
	tok, err := Decode(rawOf(t, vectors.Tokens(t)[0].Token))
	require.NoError(t, err)
	tok.Meta = map[string]any{"k": "PLACEHOLDER"}
	tmpl, err := Encode(tok, true)
	require.NoError(t, err)
	for depth := 2; depth <= MaxDepth+2; depth++ {
		// meta is at depth 2; nest arrays inside it up to depth.
		nested := bytes.Repeat([]byte{0x81}, depth-2)
		nested = append(nested, 0x64, 'l', 'e', 'a', 'f')
		enc := bytes.Replace(tmpl, append([]byte{0x6b}, "PLACEHOLDER"...), nested, 1)
		_, err := Decode(enc)
		_, refErr := decodeReference(enc)
		var v any = "leaf"
		for range depth - 2 {
			v = []any{v}
		}
		tok.Meta = map[string]any{"k": v}
		_, encErr := Encode(tok, true)
		if depth <= MaxDepth {
			require.NoError(t, err, depth)
			require.NoError(t, refErr, depth)
			require.NoError(t, encErr, depth)
		} else {
			require.Error(t, err, depth)
			require.Error(t, refErr, depth)
			require.Error(t, encErr, depth)
		}
	}
}

func TestUnknownKeysIgnored(t *testing.T) {
	t.Parallel()
	// {"v":2,"t":1,"ttl":1,"res":{"obj":{"a":1}},"pat":{},"sig":h'', "new":[1,"x"]}
	b := []byte{0xa7,
		0x41, 'v', 0x02, 0x41, 't', 0x01, 0x43, 't', 't', 'l', 0x01,
		0x43, 'r', 'e', 's', 0xa1, 0x43, 'o', 'b', 'j', 0xa1, 0x61, 'a', 0x01,
		0x43, 'p', 'a', 't', 0xa0,
		0x43, 's', 'i', 'g', 0x40,
		0x43, 'n', 'e', 'w', 0x82, 0x01, 0x61, 'x'}
	got, err := Decode(b)
	require.NoError(t, err)
	ref, err := decodeReference(b)
	require.NoError(t, err)
	assert.Equal(t, got, ref)
	assert.Equal(t, uint64(2), got.Version)
}

func TestHalfFloat(t *testing.T) {
	t.Parallel()
	for h, want := range map[uint16]float64{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 5.960464477539063e-08,
		0x0400: 6.103515625e-05, 0x3555: 0.333251953125,
	} {
		assert.Equal(t, want, halfToFloat64(h), "%#04x", h)
	}
	assert.True(t, math.IsInf(halfToFloat64(0x7c00), 1))
	assert.True(t, math.IsNaN(halfToFloat64(0x7e00)))
	assert.True(t, math.Signbit(halfToFloat64(0x8000)))
}
