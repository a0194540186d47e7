package pam

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetriedRevokeAlreadyRevoked: a retried revoke told "Token is revoked."
// after an attempt that may have taken effect succeeds; told so otherwise,
// it fails.
func TestRetriedRevokeAlreadyRevoked(t *testing.T) {
	t.Parallel()
	revoked := reply{400, nil, `{"error":{"message":"Invalid token","source":"revoke","details":[{"message":"Token is revoked.","location":"token","locationType":"path"}]},"service":"Access Manager","status":400}`}
	tests := []struct {
		name    string
		replies []reply
		ok      bool
	}{
		{"after a 503", []reply{{503, nil, ""}, revoked}, true},
		{"after a reset", []reply{{0, nil, ""}, revoked}, true},
		{"after a 429", []reply{{429, nil, ""}, revoked}, false},
		{"at the first attempt", []reply{revoked}, false},
		{"expired after a 503", []reply{{503, nil, ""}, {400, nil, `{"error":{"message":"Invalid token","source":"revoke","details":[{"message":"Token is expired.","location":"token","locationType":"path"}]},"status":400}`}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, tt.replies...)
			c, _ := scriptedClient(t, s, 0)
			err := c.RevokeToken(context.Background(), "qEF2AkF0GmEI03xDdHRsGDxDcmVz")
			assert.Len(t, s.requests(), len(tt.replies))
			if tt.ok {
				assert.NoError(t, err)
			} else {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, 400, apiErr.StatusCode)
			}
		})
	}
	assert.True(t, isDialError(&net.OpError{Op: "dial", Err: errors.New("connection refused")}))
	assert.False(t, isDialError(&net.OpError{Op: "read", Err: errors.New("connection reset")}))
}

const revokeOK = `{"data":{"message":"Success"},"service":"Access Manager","status":200}`

func TestRevokePathEscaping(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, http.StatusOK, revokeOK)
	require.NoError(t, c.RevokeToken(context.Background(), "unescaped-_.ABCabc123 escaped;,/?:@&=+$#"))
	reqs := rec.requests()
	require.Len(t, reqs, 1)
	got := reqs[0]
	assert.Equal(t, "DELETE", got.Method)
	assert.Equal(t, "/v3/pam/mySubKey/grant/unescaped-_.ABCabc123%20escaped%3B%2C%2F%3F%3A%40%26%3D%2B%24%23", got.RawPath)
	assert.Empty(t, got.Body)
	assert.Empty(t, got.ContentType)
	assert.ElementsMatch(t, []string{"uuid", "pnsdk", "requestid", "timestamp", "signature"}, keysOf(got.Query))
	verifySignature(t, testKeys, got)
}

// TestRevokeVectors sends the revocations captured from the official Go SDK.
// The path matches it wherever its escaping agrees with ours (it leaves '~'
// literal; this package escapes it as %7E).
func TestRevokeVectors(t *testing.T) {
	t.Parallel()
	f := loadGrantFile(t)
	for _, v := range f.Revokes {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			status, body := http.StatusOK, revokeOK
			if v.StatusCode >= 400 {
				// The response body is what the official SDK quoted in its error.
				_, respBody, ok := strings.Cut(v.ErrorReturned, ": {")
				require.True(t, ok, v.ErrorReturned)
				status, body = v.StatusCode, "{"+respBody
			}
			c, rec := setup(t, status, body)
			err := c.RevokeToken(context.Background(), v.Input.Token)
			switch {
			case v.Input.Token == "":
				require.ErrorIs(t, err, ErrMissingToken)
				assert.Empty(t, rec.requests())
				return
			case status >= 400:
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, status, apiErr.StatusCode)
				assert.Equal(t, "Invalid token", apiErr.Message)
				assert.Equal(t, "revoke", apiErr.Source)
			default:
				require.NoError(t, err)
			}
			reqs := rec.requests()
			require.Len(t, reqs, 1)
			want := "/v3/pam/mySubKey/grant/" + sign.Encode(v.Input.Token)
			assert.Equal(t, want, reqs[0].RawPath)
			if v.Name != "revoke_2" {
				assert.Equal(t, v.Path, reqs[0].RawPath, "same path as the official Go SDK")
			}
			verifySignature(t, testKeys, reqs[0])
		})
	}
}
