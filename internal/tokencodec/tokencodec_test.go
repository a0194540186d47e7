package tokencodec

import (
	"bytes"
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
