package tokencodec

import (
	"testing"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/stretchr/testify/require"
)

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
