package tokencodec

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{"0", int64(0)},
		{"-7", int64(-7)},
		{"9223372036854775807", int64(math.MaxInt64)},
		{"9223372036854775808", uint64(math.MaxInt64) + 1},
		{"18446744073709551615", uint64(math.MaxUint64)},
		{"18446744073709551616", float64(1 << 64)},
		{"-9223372036854775809", -9223372036854775809.0},
		{"1.0", 1.0},
		{"1e3", 1000.0},
		{"2.5E-1", 0.25},
	}
	for _, tc := range tests {
		got, err := Number(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	negZero, err := Number("-0")
	require.NoError(t, err)
	f, ok := negZero.(float64)
	require.True(t, ok, "-0 is a float, as encoding/json writes float64 negative zero")
	assert.True(t, f == 0 && math.Signbit(f))
	_, err = Number("1e400")
	assert.ErrorIs(t, err, ErrNumberRange)
}

func TestFromJSON(t *testing.T) {
	t.Parallel()
	decode := func(s string) any {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var v any
		require.NoError(t, d.Decode(&v))
		return v
	}
	got, err := FromJSON(decode(`{"a":1,"b":[2.5,{"c":18446744073709551615}],"d":"x","e":null,"f":true}`), 2)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"a": int64(1), "b": []any{2.5, map[string]any{"c": uint64(math.MaxUint64)}},
		"d": "x", "e": nil, "f": true}, got)

	_, err = FromJSON(decode(`{"a":[{"b":[1]}]}`), 2)
	assert.ErrorIs(t, err, ErrNesting, "a container at depth 3")
	_, err = FromJSON(decode(`{"a":[{"b":1}]}`), 2)
	assert.NoError(t, err, "containers down to depth 2, scalars in them")
	_, err = FromJSON(decode(`{"a":[1e400]}`), 2)
	assert.ErrorIs(t, err, ErrNumberRange)
}

// TestMaxMetaNesting: meta nested as deep as FromJSON allows with
// MaxMetaNesting encodes and decodes; one level more does not decode.
func TestMaxMetaNesting(t *testing.T) {
	t.Parallel()
	nested := func(levels int) string { // meta itself and levels containers below it
		return `{"m":` + strings.Repeat(`[`, levels) + `1` + strings.Repeat(`]`, levels) + `}`
	}
	for _, levels := range []int{MaxMetaNesting, MaxMetaNesting + 1} {
		d := json.NewDecoder(strings.NewReader(nested(levels)))
		d.UseNumber()
		var meta map[string]any
		require.NoError(t, d.Decode(&meta))
		_, convErr := FromJSON(meta, MaxMetaNesting)
		b, err := Encode(&Token{Version: Version, Meta: meta, Sig: bytes.Repeat([]byte{1}, 32)}, true)
		if err == nil {
			_, err = Decode(b)
		}
		assert.Equal(t, convErr == nil, err == nil, "levels %d: FromJSON %v, codec %v", levels, convErr, err)
	}
}
