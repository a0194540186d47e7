package tokencodec

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
