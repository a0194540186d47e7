package pamtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v3 renders the service's v3 error body with one detail.
func v3(status int, message, source, detailMsg, location, locationType string) string {
	return fmt.Sprintf(`{"error":{"message":%q,"source":%q,"details":[{"message":%s,"location":%s,"locationType":%q}]},"service":"Access Manager","status":%d}`,
		message, source, jsonString(detailMsg), jsonString(location), locationType, status)
}

// jsonString quotes s as JSON does without escaping <, > and &.
func jsonString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

type grants = map[string]map[string]any

// TestGrantErrors checks every grant error of wire.md §4.2, and the
// emulator's own, byte for byte.
func TestGrantErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClock(func() time.Time { return fixedNow }))
	ch1 := grants{"channels": {"ch-1": 1}}
	tests := []struct {
		name   string
		body   string
		opts   signedOpts
		status int
		want   string
	}{
		{"ttl too long", grantBody(43201, ch1, nil, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid ttl", "grant", "Range should be 1 to 43200 minute(s).", "ttl", "body")},
		{"ttl zero", grantBody(0, ch1, nil, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid ttl", "grant", "Range should be 1 to 43200 minute(s).", "ttl", "body")},
		{"ttl negative", grantBody(-1, ch1, nil, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid ttl", "grant", "Range should be 1 to 43200 minute(s).", "ttl", "body")},
		{"ttl fractional", grantBody(1.5, ch1, nil, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid ttl", "grant", "Range should be 1 to 43200 minute(s).", "ttl", "body")},
		{"ttl missing", `{"permissions":{"resources":{"channels":{"a":1}}}}`, signedOpts{}, 400,
			v3(400, "Invalid ttl", "grant", "Range should be 1 to 43200 minute(s).", "ttl", "body")},
		{"zero permission", grantBody(60, grants{"uuids": {"uuid-1": 0}}, nil, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid permissions", "grant", "Unexpected value: `permissions.resources.uuids.uuid-1` must be positive and non-zero.", "permissions.resources.uuids.uuid-1", "body")},
		{"negative permission pattern", grantBody(60, nil, grants{"channels": {"^a$": -3}}, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid permissions", "grant", "Unexpected value: `permissions.patterns.channels.^a$` must be positive and non-zero.", "permissions.patterns.channels.^a$", "body")},
		{"no permissions", grantBody(60, nil, nil, nil, ""), signedOpts{}, 400,
			v3(400, "This grant contains no permissions", "grant", "What are you granting?", "permissions", "body")},
		{"no permissions object", `{"ttl":60}`, signedOpts{}, 400,
			v3(400, "This grant contains no permissions", "grant", "What are you granting?", "permissions", "body")},
		{"multiple repeat", grantBody(60, nil, grants{"uuids": {"!<[^>]+>++": 104}}, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid RegExp", "grant", "Syntax error: multiple repeat.", "permissions.patterns.uuids.!<[^>]+>++", "body")},
		{"capturing group", grantBody(60, nil, grants{"uuids": {"(!<[^>]+>)+": 104}}, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid RegExp", "grant", "Only non-capturing groups are allowed. Try replacing `(` with `(?:`.", "permissions.patterns.uuids.(!<[^>]+>)+", "body")},
		{"regexp RE2 cannot parse", grantBody(60, nil, grants{"channels": {"[a-": 1}}, nil, ""), signedOpts{}, 400,
			v3(400, "Invalid RegExp", "grant", "Syntax error: unterminated character set.", "permissions.patterns.channels.[a-", "body")},
		{"wrong content type", grantBody(60, ch1, nil, nil, ""), signedOpts{ctype: "text/plain"}, 400,
			v3(400, "Invalid Content-Type", "grant", "Content-Type must be application/json.", "Content-Type", "header")},
		{"form content type", grantBody(60, ch1, nil, nil, ""), signedOpts{ctype: "application/x-www-form-urlencoded"}, 400,
			v3(400, "Invalid Content-Type", "grant", "Content-Type must be application/json.", "Content-Type", "header")},
		{"not json", `{"ttl":`, signedOpts{}, 400,
			v3(400, "Invalid request body", "grant", "The request body is not a valid JSON object.", "body", "body")},
		{"meta not an object", `{"ttl":60,"permissions":{"resources":{"channels":{"a":1}},"meta":[1]}}`, signedOpts{}, 400,
			v3(400, "Invalid meta", "grant", "Unexpected value: `permissions.meta` must be an object.", "permissions.meta", "body")},
		{"meta nested too deeply", `{"ttl":60,"permissions":{"resources":{"channels":{"a":1}},"meta":{"a":[[[[[[[[[1]]]]]]]]]}}}`, signedOpts{}, 400,
			v3(400, "Invalid meta", "grant", "Unexpected value: `permissions.meta` is nested too deeply.", "permissions.meta", "body")},
		{"meta number out of range", `{"ttl":60,"permissions":{"resources":{"channels":{"a":1}},"meta":{"a":1e400}}}`, signedOpts{}, 400,
			v3(400, "Invalid meta", "grant", "Unexpected value: `permissions.meta` holds a number out of range.", "permissions.meta", "body")},
		{"uuid not a string", `{"ttl":60,"permissions":{"resources":{"channels":{"a":1}},"uuid":7}}`, signedOpts{}, 400,
			v3(400, "Invalid uuid", "grant", "Unexpected value: `permissions.uuid` must be a string.", "permissions.uuid", "body")},
		{"wrong secret", grantBody(60, ch1, nil, nil, ""), signedOpts{secret: "sec-c-wrong"}, 403,
			v3(403, "Invalid signature", "grant", "Client and server produced different signatures for the same inputs.", "signature", "query")},
		{"wrong publish key", grantBody(60, ch1, nil, nil, ""), signedOpts{publish: "pub-c-wrong"}, 403,
			v3(403, "Invalid signature", "grant", "Client and server produced different signatures for the same inputs.", "signature", "query")},
		{"signature of v1 shape", grantBody(60, ch1, nil, nil, ""), signedOpts{mutate: func(s string) string { return strings.TrimPrefix(s, "v2.") }}, 403,
			v3(403, "Invalid signature", "grant", "Client and server produced different signatures for the same inputs.", "signature", "query")},
		{"timestamp 61 s old", grantBody(60, ch1, nil, nil, ""), signedOpts{timestamp: fixedNow.Unix() - 61}, 400,
			v3(400, "Invalid timestamp", "grant", "Timestamp must be within 60 seconds of the server time.", "timestamp", "query")},
		{"timestamp 61 s ahead", grantBody(60, ch1, nil, nil, ""), signedOpts{timestamp: fixedNow.Unix() + 61}, 400,
			v3(400, "Invalid timestamp", "grant", "Timestamp must be within 60 seconds of the server time.", "timestamp", "query")},
		{"stale timestamp beats wrong secret", grantBody(60, ch1, nil, nil, ""), signedOpts{timestamp: 1, secret: "x"}, 400,
			v3(400, "Invalid timestamp", "grant", "Timestamp must be within 60 seconds of the server time.", "timestamp", "query")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := grantRaw(t, s, tc.body, tc.opts)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.want, string(r.body))
			assert.Equal(t, "text/javascript; charset=UTF-8", r.header.Get("Content-Type"))
			assert.Equal(t, "Sun, 01 Jun 2025 12:00:00 GMT", r.header.Get("Date"))
		})
	}
}

// TestGrantErrorDetailsAll: every bad entry is reported, in location order.
func TestGrantErrorDetailsAll(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := grantRaw(t, s, grantBody(60, grants{"channels": {"b": 0, "a": 0}, "uuids": {"ok": 32}}, grants{"groups": {"^g$": 0}}, nil, ""), signedOpts{})
	require.Equal(t, 400, r.status)
	var e v3Error
	require.NoError(t, json.Unmarshal(r.body, &e))
	var locs []string
	for _, d := range e.Error.Details {
		locs = append(locs, d.Location)
	}
	assert.Equal(t, []string{"permissions.patterns.groups.^g$", "permissions.resources.channels.a", "permissions.resources.channels.b"}, locs)
}

// TestGrantErrorsThroughLibrary: the library decodes the emulator's error
// bodies into *pam.APIError with message, source, details and location.
func TestGrantErrorsThroughLibrary(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithMaxTTL(60))
	_, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(61*time.Minute).Channel("a", pam.Read))
	var apiErr *pam.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "Access Manager", apiErr.Service)
	assert.Equal(t, "Invalid ttl", apiErr.Message)
	assert.Equal(t, "grant", apiErr.Source)
	assert.Equal(t, []pam.ErrorDetail{{Message: "Range should be 1 to 60 minute(s).", Location: "ttl", LocationType: "body"}}, apiErr.Details)

	for _, tc := range []struct{ pattern, msg string }{
		{"^room-.++$", "Syntax error: multiple repeat."},
		{"^(room|lobby)-.*$", "Only non-capturing groups are allowed. Try replacing `(` with `(?:`."},
	} {
		_, err = s.Client().GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).ChannelPattern(tc.pattern, pam.Read))
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Invalid RegExp", apiErr.Message)
		assert.Equal(t, []pam.ErrorDetail{{Message: tc.msg, Location: "permissions.patterns.channels." + tc.pattern, LocationType: "body"}}, apiErr.Details)
	}

	bad := NewServer(WithKeys(pam.Keys{Subscribe: s.Keys().Subscribe, Publish: s.Keys().Publish, Secret: "sec-c-other"}))
	defer bad.Close()
	_, err = bad.Client(pam.WithOrigin(s.URL)).GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 403, apiErr.StatusCode)
	assert.Equal(t, "Invalid signature", apiErr.Message)
}

// TestGrantSuccess checks the success body and the token's form.
func TestGrantSuccess(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClock(func() time.Time { return fixedNow }))
	for _, tc := range []struct {
		name, body, prefix string
	}{
		{"with uuid", grantBody(60, grants{"channels": {"a": 3}}, nil, nil, "user-1"), "qEF2AkF0"},
		{"without uuid", grantBody(60, grants{"channels": {"a": 3}}, nil, nil, ""), "p0F2AkF0"},
		{"ttl as string", grantBody("15", grants{"channels": {"a": 3}}, nil, nil, ""), "p0F2AkF0"},
		{"ruby shape: three types, no meta", `{"ttl":5,"permissions":{"resources":{"channels":{"a":1},"groups":{},"uuids":{}},"patterns":{"channels":{},"groups":{},"uuids":{}}}}`, "p0F2AkF0"},
		{"charset in content type", grantBody(60, grants{"groups": {"g": 5}}, nil, map[string]any{"n": 1, "s": "x", "nested": map[string]any{"a": []any{1, "b"}}}, ""), "p0F2AkF0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := grantRaw(t, s, tc.body, signedOpts{ctype: "application/json; charset=UTF-8"})
			require.Equal(t, 200, r.status, string(r.body))
			var ok grantOK
			require.NoError(t, json.Unmarshal(r.body, &ok))
			tok := ok.Data.Token
			assert.Equal(t, `{"data":{"message":"Success","token":"`+tok+`"},"service":"Access Manager","status":200}`, string(r.body))
			assert.True(t, strings.HasPrefix(tok, tc.prefix), tok)
			assert.Zero(t, len(tok)%4, "padded")
			assert.NotContains(t, tok, "+")
			assert.NotContains(t, tok, "/")
			_, err := base64.URLEncoding.DecodeString(tok)
			assert.NoError(t, err)
		})
	}
}

// TestTokenSizeLimit: the emulator never issues a token it cannot read
// back. A grant whose token would pass maxTokenChars is refused with 400 in
// the v3 shape; one just under the limit is issued, and publish and revoke
// accept it.
func TestTokenSizeLimit(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClock(func() time.Time { return fixedNow }))
	metaToken := func(n int) string { // the token minted for a meta string of n bytes
		g, e := parseGrant([]byte(grantBody(60, grants{"channels": {"a": 3}}, nil, map[string]any{"s": strings.Repeat("x", n)}, "")), defaultMaxTTL)
		require.Nil(t, e)
		tok, err := s.h.mint(g, fixedNow.Unix())
		require.NoError(t, err)
		return tok
	}
	// The longest meta string whose token still fits: four characters of
	// token per three bytes of meta, then settle on the exact length.
	fits := 30000
	fits += (maxTokenChars - len(metaToken(fits))) * 3 / 4
	for len(metaToken(fits)) > maxTokenChars {
		fits--
	}
	for len(metaToken(fits+1)) <= maxTokenChars {
		fits++
	}
	require.Greater(t, len(metaToken(fits)), maxTokenChars-4, "the boundary is found to the base64 quantum")

	many := grants{"channels": {}}
	for i := range 5000 {
		many["channels"][fmt.Sprintf("channel-%04d", i)] = 1
	}
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"5000 channels", grantBody(60, many, nil, nil, ""), false},
		{"30 KB meta string", grantBody(60, grants{"channels": {"a": 3}}, nil, map[string]any{"s": strings.Repeat("x", 30000)}, ""), false},
		{"one quantum over the limit", grantBody(60, grants{"channels": {"a": 3}}, nil, map[string]any{"s": strings.Repeat("x", fits+3)}, ""), false},
		{"at the limit", grantBody(60, grants{"channels": {"a": 3}}, nil, map[string]any{"s": strings.Repeat("x", fits)}, ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := grantRaw(t, s, tt.body, signedOpts{})
			if !tt.ok {
				require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
				var e v3Error
				require.NoError(t, json.Unmarshal(r.body, &e), string(r.body))
				assert.Equal(t, "Token too large", e.Error.Message)
				assert.Equal(t, "grant", e.Error.Source)
				require.Len(t, e.Error.Details, 1)
				assert.Equal(t, "permissions", e.Error.Details[0].Location)
				assert.Contains(t, e.Error.Details[0].Message, "at most "+strconv.Itoa(maxTokenChars)+" characters")
				return
			}
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var ok grantOK
			require.NoError(t, json.Unmarshal(r.body, &ok))
			tok := ok.Data.Token
			assert.LessOrEqual(t, len(tok), maxTokenChars)
			_, err := pam.ParseToken(tok)
			require.NoError(t, err, "the library reads it")
			_, err = pam.ParseToken(strings.ReplaceAll(tok, "=", "%3D"))
			require.NoError(t, err, "percent-encoded too")
			p := publishRaw(t, s, "a", `1`, tok, "u")
			assert.Equal(t, http.StatusOK, p.status, string(p.body))
			rv := revokeRaw(t, s, tok, signedOpts{})
			assert.Equal(t, http.StatusOK, rv.status, string(rv.body))
			p = publishRaw(t, s, "a", `1`, tok, "u")
			assert.Equal(t, bodyRevoked, string(p.body))
		})
	}
}

// TestTokenSizeLimitThroughLibrary: pam.Client sees the refusal as an
// APIError, not as a token it cannot parse.
func TestTokenSizeLimitThroughLibrary(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	req := pam.NewTokenRequest(time.Hour)
	for i := range 5000 {
		req.Channel(fmt.Sprintf("channel-%04d", i), pam.Read)
	}
	_, err := s.Client().GrantToken(t.Context(), req)
	var apiErr *pam.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "Token too large", apiErr.Message)
	assert.NotErrorIs(t, err, pam.ErrMalformedToken)
}
