package pam

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewOptions(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Timeout: time.Second}
	clock := fixedClock(42)
	c, err := New(testKeys, WithUserID("me"), WithOrigin("http://127.0.0.1:8090"), WithHTTPClient(hc), WithClock(clock), nil)
	require.NoError(t, err)
	assert.Equal(t, "me", c.UserID())
	assert.Equal(t, "http", c.scheme)
	assert.Equal(t, "127.0.0.1:8090", c.host)
	assert.NotSame(t, hc, c.hc, "the HTTP client is copied")
	assert.Equal(t, time.Second, c.hc.Timeout)
	assert.Equal(t, int64(42), c.now().Unix())

	d, err := New(Keys{Subscribe: "s"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(d.UserID(), "pam-"))
	assert.Len(t, d.UserID(), 4+36)
	assert.Equal(t, "https", d.scheme)
	assert.Equal(t, "ps.pndsn.com", d.host)
	assert.Equal(t, 10*time.Second, d.hc.Timeout)
	assert.NotSame(t, http.DefaultClient, d.hc)
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys Keys
		opt  Option
		want string
	}{
		{"no subscribe key", Keys{Publish: "p", Secret: "s"}, nil, "subscribe key is empty"},
		{"empty user id", testKeys, WithUserID(""), "user id is empty"},
		{"long user id", testKeys, WithUserID(strings.Repeat("u", 93)), "at most 92"},
		{"nil http client", testKeys, WithHTTPClient(nil), "client is nil"},
		{"nil clock", testKeys, WithClock(nil), "clock is nil"},
		{"empty origin", testKeys, WithOrigin(" "), "is empty"},
		{"ftp origin", testKeys, WithOrigin("ftp://host"), "scheme other than http"},
		{"origin with path", testKeys, WithOrigin("http://host/v3"), "only a scheme and a host"},
		{"origin with query", testKeys, WithOrigin("host?x=1"), "only a scheme and a host"},
		{"origin with user", testKeys, WithOrigin("http://u:p@host"), "only a scheme and a host"},
		{"bad origin", testKeys, WithOrigin("http://[::1"), "not a valid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.keys, tt.opt)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "pam: "))
		})
	}
}

func TestOriginForms(t *testing.T) {
	t.Parallel()
	for origin, want := range map[string]string{
		"ps.pndsn.com":          "https://ps.pndsn.com",
		"example.com:8443":      "https://example.com:8443",
		"http://127.0.0.1:8090": "http://127.0.0.1:8090",
		"https://ps.pndsn.com/": "https://ps.pndsn.com",
		"http://[::1]:8090":     "http://[::1]:8090",
	} {
		scheme, host, err := parseOrigin(origin)
		require.NoError(t, err, origin)
		assert.Equal(t, want, scheme+"://"+host)
	}
}

func TestKeysRedacted(t *testing.T) {
	t.Parallel()
	k := Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-TOPSECRET"}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k), fmt.Sprint(&k)} {
		assert.NotContains(t, s, "TOPSECRET")
		assert.Contains(t, s, "sub-c-1")
		assert.Contains(t, s, "[redacted]")
	}
	assert.NotContains(t, Keys{Subscribe: "s"}.String(), "redacted")
}
