package tokencodec

import (
	"testing"

	"github.com/pamkit/pam/internal/vectors"
)

// BenchmarkUnwrap, BenchmarkDecodeInto and BenchmarkDecodeReference split
// the cost of parsing the contract token (tok01) and the largest vector
// (tok28): base64 into a stack buffer, then either decoder.
func BenchmarkUnwrap(b *testing.B) {
	for _, id := range []string{"tok01", "tok28"} {
		tok := vectors.TokenByID(b, id).Token
		b.Run(id, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tok)))
			var buf [1024]byte
			for b.Loop() {
				if _, err := Unwrap(buf[:0], tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeInto(b *testing.B) {
	for _, id := range []string{"tok01", "tok28"} {
		raw := string(rawOf(b, vectors.TokenByID(b, id).Token))
		b.Run(id, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			var t Token
			for b.Loop() {
				if err := DecodeInto(raw, &t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeReference(b *testing.B) {
	for _, id := range []string{"tok01", "tok28"} {
		raw := rawOf(b, vectors.TokenByID(b, id).Token)
		b.Run(id, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := decodeReference(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
