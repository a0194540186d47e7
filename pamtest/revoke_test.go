package pamtest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRevokeErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClock(func() time.Time { return fixedNow }))
	tok := mustGrant(t, s, grantBody(10, grants{"channels": {"a": 3}}, nil, nil, ""))
	other := NewServer()
	defer other.Close()
	foreign := mustGrant(t, other, grantBody(10, grants{"channels": {"a": 3}}, nil, nil, ""))
	disabled := newTestServer(t, WithRevokeDisabled(), WithKeys(s.Keys()), WithClock(func() time.Time { return fixedNow }))

	tests := []struct {
		name   string
		srv    *Server
		token  string
		opts   signedOpts
		status int
		body   string
	}{
		{"malformed", s, "abc", signedOpts{}, 400, v3(400, "Invalid token", "revoke", "Token is malformed.", "token", "path")},
		{"another keyset", s, foreign, signedOpts{}, 400, v3(400, "Invalid token", "revoke", "Token was not issued for this keyset.", "token", "path")},
		{"wrong secret", s, tok, signedOpts{secret: "sec-c-wrong"}, 403, v3(403, "Invalid signature", "revoke", "Client and server produced different signatures for the same inputs.", "signature", "query")},
		{"stale timestamp", s, tok, signedOpts{timestamp: fixedNow.Unix() - 3600}, 400, v3(400, "Invalid timestamp", "revoke", "Timestamp must be within 60 seconds of the server time.", "timestamp", "query")},
		{"revocation disabled", disabled, tok, signedOpts{}, 403, v3(403, "Feature disabled", "revoke", "Token revocation is disabled.", "subscribe-key", "path")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := revokeRaw(t, tc.srv, tc.token, tc.opts)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.body, string(r.body))
		})
	}
	r := signed(t, s, http.MethodDelete, "/v3/pam/"+s.Keys().Subscribe+"/grant/", nil, signedOpts{})
	assert.Equal(t, v3(400, "Invalid token", "revoke", "Token is missing.", "token", "path"), string(r.body))
	r = call(t, s, http.MethodDelete, "/v3/pam/"+s.Keys().Subscribe+"/grant/abc?uuid=u&timestamp=1749"+"", nil, "")
	assert.Equal(t, 400, r.status)
	r = call(t, s, http.MethodDelete, "/v3/pam/"+s.Keys().Subscribe+"/grant/abc", nil, "")
	assert.Equal(t, v3(400, "Invalid timestamp", "revoke", "Timestamp is required (Unix seconds).", "timestamp", "query"), string(r.body))
	r = call(t, s, http.MethodDelete, "/v3/pam/"+s.Keys().Subscribe+"/grant/abc?timestamp=1748779200", nil, "")
	assert.Equal(t, v3(403, "Invalid signature", "revoke", "Signature is required.", "signature", "query"), string(r.body))

	// The revocation still holds on the server with revocation enabled.
	r = revokeRaw(t, s, tok, signedOpts{})
	assert.Equal(t, 200, r.status)
}
