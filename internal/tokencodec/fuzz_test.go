package tokencodec

import (
	"encoding/json"
	"testing"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/stretchr/testify/require"
)

// FuzzDecodersAgree checks that the purpose-built decoder and the strict
// fxamacker/cbor reference accept exactly the same inputs and return the
// same values, that Check accepts the same inputs with the same errors, and
// that whatever decodes re-encodes to something that decodes to the same
// value.
func FuzzDecodersAgree(f *testing.F) {
	for _, v := range vectors.Tokens(f) {
		if raw, err := Unwrap(nil, v.Token); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte{0xa1, 0x41, 'v', 0x02})
	f.Add([]byte{0xa7, 0x41, 'v', 0x02, 0x41, 't', 0x01, 0x43, 't', 't', 'l', 0x01,
		0x43, 'r', 'e', 's', 0xa0, 0x43, 'p', 'a', 't', 0xa0,
		0x44, 'm', 'e', 't', 'a', 0xa1, 0x61, 'k', 0x82, 0xf9, 0x3c, 0x00, 0x3a, 0x7f, 0xff, 0xff, 0xff,
		0x43, 's', 'i', 'g', 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		ref, refErr := decodeReference(b)
		ts, ttl, checkErr := Check(string(b))
		if err != nil {
			require.EqualError(t, checkErr, err.Error(), "Check and Decode disagree")
		} else {
			require.NoError(t, checkErr, "only Decode accepted")
			require.Equal(t, [2]uint64{got.Timestamp, got.TTL}, [2]uint64{ts, ttl})
		}
		if err != nil {
			require.Error(t, refErr, "only the reference accepted; Decode said %v", err)
			return
		}
		require.NoError(t, refErr, "only Decode accepted")
		require.Equal(t, got, ref)

		enc, err := Encode(got, true)
		require.NoError(t, err)
		back, err := Decode(enc)
		require.NoError(t, err)
		// Encode writes integral floats as integers, as the service does
		// with JSON numbers: compare meta as JSON.
		gotMeta, err := json.Marshal(got.Meta)
		require.NoError(t, err)
		backMeta, err := json.Marshal(back.Meta)
		require.NoError(t, err)
		require.JSONEq(t, string(gotMeta), string(backMeta))
		got.Meta, back.Meta = nil, nil
		require.Equal(t, got, back)
	})
}
