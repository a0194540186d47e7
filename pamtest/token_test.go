package pamtest

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/pamkit/pam/internal/tokencodec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMintedTokenLayout: a minted token is the service's layout, re-encodes
// byte for byte, and its signed bytes are exactly Encode(t, false). (The
// tokencodec tests check that the strict reference decoder reads what
// Encode writes.)
func TestMintedTokenLayout(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClock(func() time.Time { return fixedNow }))
	for _, body := range []string{
		grantBody(60, grants{"channels": {"b": 239, "a": 3}, "groups": {"g": 5}, "uuids": {"u": 104}},
			grants{"channels": {"^a-.*$": 1}}, map[string]any{"s": "x", "n": -1, "f": 1.5, "b": true, "z": nil, "l": []any{1, "two"}, "m": map[string]any{"k": "v"}}, "user-1"),
		grantBody(1, nil, grants{"uuids": {"^u$": 32}}, nil, ""),
		`{"ttl":5,"permissions":{"resources":{"channels":{"a":1},"spaces":{"a":1},"users":{"u":32}},"patterns":{}}}`,
	} {
		tok := mustGrant(t, s, body)
		raw, err := base64.URLEncoding.DecodeString(tok)
		require.NoError(t, err)
		d, err := tokencodec.Decode(raw)
		require.NoError(t, err)
		assert.EqualValues(t, 2, d.Version)
		assert.EqualValues(t, fixedNow.Unix(), d.Timestamp)
		again, err := tokencodec.Encode(d, true)
		require.NoError(t, err)
		assert.Equal(t, raw, again, "re-encodes byte for byte, so in today's type-key order")
		unsigned, ok := unsignedBytes(raw)
		require.True(t, ok)
		enc, err := tokencodec.Encode(d, false)
		require.NoError(t, err)
		assert.Equal(t, enc, unsigned)
		assert.Equal(t, s.h.mac(enc), d.Sig, "sig = HMAC-SHA256(secret, Encode(t, false))")
	}
}

// TestServiceTokensAreForeign: tokens the real service minted decode, but
// their signature is not the emulator's, so they are refused.
func TestServiceTokensAreForeign(t *testing.T) {
	t.Parallel()
	tokens := vectors.Tokens(t)
	s := newTestServer(t)
	n := 0
	for _, v := range tokens {
		_, fault := s.h.decodeToken(v.Token)
		if v.Decodable {
			if raw, err := tokencodec.Unwrap(nil, v.Token); err == nil {
				if _, err := tokencodec.Decode(raw); err == nil {
					assert.Equal(t, tokenForeign, fault, v.ID)
					n++
					continue
				}
			}
		}
		assert.NotEqual(t, tokenOK, fault, v.ID)
	}
	assert.Positive(t, n)
	r := publishRaw(t, s, "channel-1", `1`, tokens[0].Token, "test-authorized-uuid")
	assert.Equal(t, bodyInvalid, string(r.body))
}

func TestUnsignedBytesRejects(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{nil, {0xa8}, bytes.Repeat([]byte{0}, 40), append([]byte{0x80}, append(append([]byte{}, sigTrailer...), make([]byte, 32)...)...)} {
		_, ok := unsignedBytes(b)
		assert.False(t, ok)
	}
}
