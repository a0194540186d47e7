package pam

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzAPIError decodes arbitrary error bodies: nothing panics and the raw
// body kept is bounded.
func FuzzAPIError(f *testing.F) {
	f.Add(403, []byte(`{"error":true,"status":403,"service":"Access Manager","message":"Token is revoked"}`))
	f.Add(400, []byte(`{"error":{"message":"Invalid ttl","source":"grant","details":[{"message":"m","location":"ttl","locationType":"body"}]},"service":"Access Manager","status":400}`))
	f.Add(502, []byte(`<html>`))
	f.Add(403, []byte(`{"message":"Forbidden","payload":{"channels":["a"]},"error":true}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newAPIError(status, body, nil)
		if len(e.Body) > maxErrorBody {
			t.Fatalf("kept %d bytes", len(e.Body))
		}
		if !strings.HasPrefix(e.Error(), "service answered ") {
			t.Fatalf("bad message %q", e.Error())
		}
		if e.answer == answerUnclassified {
			t.Fatalf("answer %q left unclassified", e.Error())
		}
	})
}

// TestAPIErrorBodies decodes every error body wire.md §4.2 records, served
// as text/javascript like the service does.
func TestAPIErrorBodies(t *testing.T) {
	t.Parallel()
	v3 := func(status int, msg, source, detail, loc, locType string) string {
		return `{"error":{"message":"` + msg + `","source":"` + source + `","details":[{"message":"` + detail +
			`","location":"` + loc + `","locationType":"` + locType + `"}]},"service":"Access Manager","status":` + strconv.Itoa(status) + `}`
	}
	tests := []struct {
		name    string
		status  int
		body    string
		revoke  bool
		message string
		source  string
		detail  ErrorDetail
		service string
		payload *ErrorPayload
		rawBody bool
		expired bool
		denied  bool
	}{
		{name: "invalid ttl", status: 400, body: v3(400, "Invalid ttl", "grant", "Range should be 1 to 43200 minute(s).", "ttl", "body"),
			message: "Invalid ttl", source: "grant", detail: ErrorDetail{"Range should be 1 to 43200 minute(s).", "ttl", "body"}},
		{name: "no permissions", status: 400, body: v3(400, "This grant contains no permissions", "grant", "What are you granting?", "permissions", "body"),
			message: "This grant contains no permissions", source: "grant", detail: ErrorDetail{"What are you granting?", "permissions", "body"}},
		{name: "invalid permissions", status: 400, body: v3(400, "Invalid permissions", "grant", "Unexpected value: `permissions.resources.uuids.uuid-1` must be positive and non-zero.", "permissions.resources.uuids.uuid-1", "body"),
			message: "Invalid permissions", source: "grant", detail: ErrorDetail{"Unexpected value: `permissions.resources.uuids.uuid-1` must be positive and non-zero.", "permissions.resources.uuids.uuid-1", "body"}},
		{name: "regexp multiple repeat", status: 400, body: v3(400, "Invalid RegExp", "grant", "Syntax error: multiple repeat.", `permissions.patterns.uuids.!<[^>]+>++`, "body"),
			message: "Invalid RegExp", source: "grant", detail: ErrorDetail{"Syntax error: multiple repeat.", `permissions.patterns.uuids.!<[^>]+>++`, "body"}},
		{name: "regexp capturing group", status: 400, body: v3(400, "Invalid RegExp", "grant", "Only non-capturing groups are allowed. Try replacing `(` with `(?:`.", `permissions.patterns.uuids.(!<[^>]+>)+`, "body"),
			message: "Invalid RegExp", source: "grant", detail: ErrorDetail{"Only non-capturing groups are allowed. Try replacing `(` with `(?:`.", `permissions.patterns.uuids.(!<[^>]+>)+`, "body"}},
		{name: "invalid token", status: 400, revoke: true, body: v3(400, "Invalid token", "revoke", "Token is expired.", "token", "path"),
			message: "Invalid token", source: "revoke", detail: ErrorDetail{"Token is expired.", "token", "path"}},
		{name: "feature disabled", status: 403, revoke: true, body: v3(403, "Feature disabled", "revoke", "Token revocation is disabled.", "subscribe-key", "path"),
			message: "Feature disabled", source: "revoke", detail: ErrorDetail{"Token revocation is disabled.", "subscribe-key", "path"}},
		{name: "invalid signature", status: 403, body: v3(403, "Invalid signature", "grant", "Client and server produced different signatures for the same inputs.", "signature", "query"),
			message: "Invalid signature", source: "grant", detail: ErrorDetail{"Client and server produced different signatures for the same inputs.", "signature", "query"}},
		{name: "flat revoked", status: 403, body: `{"error":true,"status":403,"service":"Access Manager","message":"Token is revoked"}`,
			message: "Token is revoked", denied: true},
		{name: "flat expired", status: 403, body: `{"error":true,"status":403,"service":"Access Manager","message":"Token is expired."}`,
			message: "Token is expired.", denied: true, expired: true},
		{name: "forbidden payload", status: 403, body: `{"message":"Forbidden","payload":{"channels":["a","b"],"channel-groups":["g"]},"error":true,"service":"Access Manager","status":403}`,
			message: "Forbidden", denied: true, payload: &ErrorPayload{Channels: []string{"a", "b"}, ChannelGroups: []string{"g"}}},
		{name: "balancer 413", status: 413, body: `{"status":413,"error":true,"service":"Balancer","message":"Request Entity Too Large."}`,
			message: "Request Entity Too Large.", service: "Balancer"},
		{name: "429", status: 429, body: `{"status":429,"error":true,"message":"Too many requests."}`, message: "Too many requests.", service: "-"},
		{name: "not json", status: 502, body: "<html>Bad Gateway</html>", rawBody: true, service: "-"},
		{name: "huge not json", status: 500, body: strings.Repeat("x", 10000), rawBody: true, service: "-"},
		{name: "json without error", status: 500, body: `{"x":1}`, rawBody: true, service: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := setup(t, tt.status, tt.body)
			var err error
			if tt.revoke {
				err = c.RevokeToken(context.Background(), "qEF2AkF0GmEI03xDdHRsGDxDcmVz")
			} else {
				_, err = c.GrantToken(context.Background(), NewTokenRequest(time.Hour).Channel("c", Read))
			}
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.message, apiErr.Message)
			assert.Equal(t, tt.source, apiErr.Source)
			switch tt.service {
			case "":
				assert.Equal(t, "Access Manager", apiErr.Service)
			case "-":
				assert.Empty(t, apiErr.Service)
			default:
				assert.Equal(t, tt.service, apiErr.Service)
			}
			if tt.detail != (ErrorDetail{}) {
				require.Len(t, apiErr.Details, 1)
				assert.Equal(t, tt.detail, apiErr.Details[0])
				assert.Contains(t, err.Error(), tt.detail.Message)
			}
			assert.Equal(t, tt.payload, apiErr.Payload)
			if tt.rawBody {
				assert.NotEmpty(t, apiErr.Body)
				assert.LessOrEqual(t, len(apiErr.Body), maxErrorBody)
				assert.True(t, strings.HasPrefix(tt.body, string(apiErr.Body)))
			} else {
				assert.Nil(t, apiErr.Body)
			}
			assert.Equal(t, tt.expired, errors.Is(err, ErrTokenExpired))
			assert.Equal(t, tt.denied || tt.expired, errors.Is(err, ErrPermissionDenied))
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "pam: "), msg)
			assert.Contains(t, msg, strconv.Itoa(tt.status))
			assert.NotContains(t, msg, testKeys.Secret)
			assert.NotContains(t, msg, "qEF2AkF0GmEI03xDdHRsGDxDcmVz")
		})
	}
}

// TestNoSecretsInErrors drives every failure path and checks that no error
// text carries the secret key, a signature or the whole token.
func TestNoSecretsInErrors(t *testing.T) {
	t.Parallel()
	const token = "qEF2AkF0GmEI03xDdHRsGDxDcmVzpURjaGFuoWljaGFubmVsLTEY70Nncn"
	keys := Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-TOPSECRET"}

	// A server that accepts the connection and closes it at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	closer, err := New(keys, WithOrigin("http://"+ln.Addr().String()))
	require.NoError(t, err)
	// A port nothing listens on.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refusedAddr := ln2.Addr().String()
	require.NoError(t, ln2.Close())
	refused, err := New(keys, WithOrigin("http://"+refusedAddr))
	require.NoError(t, err)
	api, _ := setup(t, 403, `{"error":{"message":"Invalid signature","source":"revoke","details":[{"message":"x","location":"signature","locationType":"query"}]},"service":"Access Manager","status":403}`)
	setKeys(api, keys)

	var errs []error
	for _, c := range []*Client{closer, refused, api} {
		errs = append(errs, c.RevokeToken(context.Background(), token))
		_, err := c.GrantToken(context.Background(), NewTokenRequest(time.Hour).Channel("c", Read).AuthorizedUUID("u"))
		errs = append(errs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	errs = append(errs, closer.RevokeToken(ctx, token))
	for _, err := range errs {
		require.Error(t, err)
		msg := err.Error()
		assert.NotContains(t, msg, keys.Secret)
		assert.NotContains(t, msg, "signature=")
		assert.NotContains(t, msg, "v2.")
		assert.NotContains(t, msg, token)
		assert.NotContains(t, msg, "qEF2AkF0GmEI03xD", "at most 8 characters of the token")
		assert.True(t, strings.HasPrefix(msg, "pam: "), msg)
	}
	assert.ErrorIs(t, errs[len(errs)-1], context.DeadlineExceeded)
	assert.Contains(t, errs[0].Error(), "/grant/qEF2AkF0...", "the redacted path still locates the call")
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 400, Message: "Token is expired."}
	assert.False(t, errors.Is(e, ErrTokenExpired), "only a 403 is a denial")
	assert.False(t, errors.Is(&APIError{StatusCode: 403, Message: "Feature disabled"}, ErrPermissionDenied))
	assert.False(t, errors.Is(&APIError{StatusCode: 403, Message: "Forbidden"}, ErrMalformedToken))
}

// TestClassify: each answer is read once into the kind that APIError.Is,
// the retry loop, RevokeToken and the transport act on.
func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    APIError
		want answerKind
	}{
		{APIError{StatusCode: 400, Message: "Invalid timestamp"}, answerInvalidTimestamp},
		{APIError{StatusCode: 400, Message: "INVALID TIMESTAMP"}, answerInvalidTimestamp},
		{APIError{StatusCode: 400, Message: "Bad request", Details: []ErrorDetail{{Message: "invalid timestamp: too old"}}}, answerInvalidTimestamp},
		{APIError{StatusCode: 400, Body: []byte("<html>Invalid Timestamp</html>")}, answerInvalidTimestamp},
		{APIError{StatusCode: 403, Message: "Invalid timestamp"}, answerForbidden},
		{APIError{StatusCode: 400, Message: "Invalid ttl"}, answerOther},
		{APIError{StatusCode: 403, Message: "Token is expired"}, answerExpired},
		{APIError{StatusCode: 403, Message: "Token is expired."}, answerExpired},
		{APIError{StatusCode: 403, Message: "token is revoked"}, answerRevoked},
		{APIError{StatusCode: 400, Message: "Invalid token", Details: []ErrorDetail{{Message: "Token is revoked."}}}, answerRevoked},
		{APIError{StatusCode: 403, Message: "Invalid signature"}, answerInvalidSignature},
		{APIError{StatusCode: 403, Message: "Feature disabled"}, answerFeatureDisabled},
		{APIError{StatusCode: 403, Message: "Forbidden"}, answerForbidden},
		{APIError{StatusCode: 503}, answerOther},
	}
	for i, tt := range tests {
		assert.Equal(t, tt.want, tt.e.kind(), "case %d: %s", i, tt.e.Error())
		body, err := json.Marshal(map[string]any{"error": map[string]any{"message": tt.e.Message, "details": tt.e.Details}, "status": tt.e.StatusCode})
		require.NoError(t, err)
		if tt.e.Body != nil {
			body = tt.e.Body
		}
		assert.Equal(t, tt.want, newAPIError(tt.e.StatusCode, body, nil).answer, "case %d decoded", i)
	}
}
