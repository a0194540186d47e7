package tokencodec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// FuzzUnwrap checks Unwrap against encoding/base64: every encoding of any
// payload (either alphabet, padded or not, percent-encoded or not, after a
// prefix in dst) unwraps to the payload, and whatever string Unwrap
// accepts, encoding/base64 decodes to the same bytes once the alphabet,
// padding and percent-encoding are normalized.
func FuzzUnwrap(f *testing.F) {
	f.Add([]byte("\xa1\x41\x76\x02"), uint8(0), "AAAA")
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), uint8(7), "qEF2AkF0GmEI03xDdHRsGDxDcmVz-_==")
	f.Fuzz(func(t *testing.T, p []byte, mode uint8, s string) {
		enc := base64.URLEncoding
		if mode&1 != 0 {
			enc = base64.StdEncoding
		}
		str := enc.EncodeToString(p)
		if mode&2 != 0 {
			str = strings.TrimRight(str, "=")
		}
		if mode&4 != 0 {
			str = strings.NewReplacer("=", "%3D", "+", "%2b", "/", "%2F", "-", "%2D").Replace(str)
		}
		prefix := []byte("pre")[:mode>>3%4]
		got, err := Unwrap(bytes.Clone(prefix), str)
		if len(p) == 0 {
			require.Error(t, err)
		} else {
			require.NoError(t, err, "%q", str)
			require.Equal(t, append(bytes.Clone(prefix), p...), got)
		}

		got, err = Unwrap(nil, s)
		if err != nil {
			return
		}
		norm, perr := url.PathUnescape(s)
		require.NoError(t, perr, "Unwrap accepted %q", s)
		norm = strings.TrimRight(strings.NewReplacer("-", "+", "_", "/").Replace(norm), "=")
		want, derr := base64.RawStdEncoding.DecodeString(norm)
		require.NoError(t, derr, "Unwrap accepted %q", s)
		require.Equal(t, want, got, "%q", s)
	})
}
