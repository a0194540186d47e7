package tokencodec

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
