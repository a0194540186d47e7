package tokencodec

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
