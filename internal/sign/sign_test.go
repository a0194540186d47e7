package sign

import (
	"sync"
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

// TestSignerMatchesV2: a Signer's pooled HMAC states give V2's signature on
// first use, on reuse and from many goroutines, and the canonical query may
// share memory with the destination.
func TestSignerMatchesV2(t *testing.T) {
	t.Parallel()
	s := NewSigner("secret")
	cases := []struct {
		method, path, query string
		body                []byte
	}{
		{"POST", "/v3/pam/sub/grant", "pnsdk=x&timestamp=1&uuid=u", []byte(`{"ttl":1}`)},
		{"DELETE", "/v3/pam/sub/grant/tok%3D", "timestamp=2", nil},
		{"GET", "/", "", []byte{}},
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				c := cases[(g+i)%len(cases)]
				want := V2("secret", c.method, "pub", c.path, c.query, c.body)
				got := s.AppendV2([]byte("x"), c.method, "pub", c.path, []byte(c.query), c.body)
				assert.Equal(t, "x"+want, string(got))
				// The query as the prefix of the destination, as signedQuery does.
				buf := append(make([]byte, 0, 8), c.query...)
				got = s.AppendV2(append(buf, '&'), c.method, "pub", c.path, buf, c.body)
				assert.Equal(t, c.query+"&"+want, string(got))
			}
		}()
	}
	wg.Wait()
	assert.NotEqual(t, V2("secret", "GET", "pub", "/", "", nil), string(NewSigner("other").AppendV2(nil, "GET", "pub", "/", nil, nil)))
}

func BenchmarkSigner(b *testing.B) {
	s := NewSigner("mySecretKey")
	body := []byte(`{"ttl":60,"permissions":{"resources":{"channels":{"channel-1":1},"groups":{},"uuids":{},"users":{},"spaces":{}},"patterns":{"channels":{},"groups":{},"uuids":{},"users":{},"spaces":{}},"meta":{}}}`)
	query := []byte("pnsdk=PubNub-Go%2F7.4.0&timestamp=1795413158&uuid=myUserId")
	var buf [64]byte
	b.ReportAllocs()
	for b.Loop() {
		_ = s.AppendV2(buf[:0], "POST", "myPubKey", "/v3/pam/mySubKey/grant", query, body)
	}
}
