package sign

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEncode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":          "",
		"abc-_.XYZ": "abc-_.XYZ",
		"a b~*":     "a%20b%7E%2A",
		"é":         "%C3%A9",
		"\x00\xff":  "%00%FF",
	} {
		assert.Equal(t, want, Encode(in))
		assert.Equal(t, "x"+want, string(AppendEncode([]byte("x"), in)))
	}
}

func TestQueryAndSign(t *testing.T) {
	t.Parallel()
	params := []Param{{"uuid", "u 1"}, {"auth", "t="}, {"timestamp", "1"}}
	SortParams(params)
	q := string(AppendQuery(nil, params))
	assert.Equal(t, "auth=t%3D&timestamp=1&uuid=u%201", q)
	// The SDK test vector go_TestSignatureV2_granttoken's shape, recomputed.
	s := V2("secret", "GET", "pub", "/p", q, nil)
	assert.Len(t, s, 46)
	assert.Equal(t, "v2.", s[:3])
	assert.True(t, Equal(s, V2("secret", "GET", "pub", "/p", q, []byte{})))
	assert.False(t, Equal(s, V2("secret", "GET", "pub", "/p", q, []byte("x"))))
	assert.False(t, Equal(s, V2("other", "GET", "pub", "/p", q, nil)))
}
