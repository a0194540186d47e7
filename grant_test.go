package pam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrantMissingKeys(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, 200, grantOK)
	setKeys(c, Keys{Subscribe: "s"})
	_, err := c.GrantToken(context.Background(), NewTokenRequest(0))
	require.ErrorIs(t, err, ErrMissingSecretKey)
	require.ErrorIs(t, err, ErrMissingPublishKey)
	require.ErrorIs(t, err, ErrInvalidTTL)
	require.ErrorIs(t, err, ErrNoPermissions)
	err = c.RevokeToken(context.Background(), "tok")
	require.ErrorIs(t, err, ErrMissingSecretKey)
	assert.Empty(t, rec.requests(), "nothing is sent when keys are missing")
}

func TestGrantBadSuccessBody(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"not json", `{"data":{}}`, `{"data":{"token":""}}`, `[]`, ``} {
		c, _ := setup(t, 200, body)
		_, err := c.GrantToken(context.Background(), NewTokenRequest(time.Hour).Channel("c", Read))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), "pam: grant token: ")
	}
}

func TestGrantContext(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, 200, grantOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GrantToken(ctx, NewTokenRequest(time.Hour).Channel("c", Read))
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "signature")
	//nolint:staticcheck // a nil context must be an error, not a panic
	_, err = c.GrantToken(nil, NewTokenRequest(time.Hour).Channel("c", Read)) //lint:ignore SA1012 testing nil
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil context")
	assert.Empty(t, rec.requests())
}

func TestGrantTimestampFromClock(t *testing.T) {
	t.Parallel()
	c, rec := setup(t, http.StatusOK, grantOK, WithClock(fixedClock(1795413158)))
	_, err := c.GrantToken(context.Background(), NewTokenRequest(time.Hour).Channel("c", Read))
	require.NoError(t, err)
	assert.Equal(t, "1795413158", rec.requests()[0].Query.Get("timestamp"))
}

// answerCases are successful grant answers: want is the token
// readGrantAnswer returns, or "" when it must report an error. They are
// read as encoding/json reads them (keys match case-insensitively, the
// last of a repeated key wins, escapes are decoded), whether the scanner
// or encoding/json reads them.
var answerCases = []struct {
	name, body, want string
}{
	{"service", `{"data":{"message":"Success","token":"qEF2AkF0"},"service":"Access Manager","status":200}`, "qEF2AkF0"},
	{"token first", `{"data":{"token":"abc-_=","message":"Success"},"status":200}`, "abc-_="},
	{"white space", " \t\r\n{ \"status\" : 200 , \"data\" : { \"token\" : \"t\" } } \n", "t"},
	{"other values", `{"a":[1,-2.5e+3,0,0.1,1E9,true,false,null,{},[],{"x":[{"y":"z"}]}],"data":{"m":{"n":"o"},"token":"t"},"b":"é"}`, "t"},
	{"non-ASCII value bytes", "{\"x\":\"\xff\xfe\",\"data\":{\"token\":\"t\"}}", "t"},
	{"top-level token ignored", `{"token":"x","data":{"token":"t"}}`, "t"},
	{"escaped token", `{"data":{"token":"a\/b"}}`, "a/b"},
	{"escape elsewhere", `{"data":{"token":"t","message":"\"hi\""}}`, "t"},
	{"folded data key", `{"Data":{"token":"t"}}`, "t"},
	{"folded token key", `{"data":{"TOKEN":"t"}}`, "t"},
	{"kelvin sign", "{\"data\":{\"to\u212aen\":\"t\"}}", "t"},
	{"non-ASCII key", "{\"d\u00e4ta\":1,\"data\":{\"token\":\"t\"}}", "t"},
	{"repeated data", `{"data":{"token":"t"},"data":{"token":"u"}}`, "u"},
	{"repeated token", `{"data":{"token":"t","token":"u"}}`, "u"},
	{"non-ASCII token", "{\"data\":{\"token\":\"t\u00e9\"}}", "t\u00e9"},
	{"deep", `{"n":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]],"data":{"token":"t"}}`, "t"},

	// Errors.
	{"data null", `{"data":null}`, ""},
	{"data array", `{"data":["token","t"]}`, ""},
	{"no data", `{"status":200}`, ""},
	{"no token", `{"data":{"message":"Success"}}`, ""},
	{"empty token", `{"data":{"token":""}}`, ""},
	{"number token", `{"data":{"token":12}}`, ""},
	{"control character", "{\"data\":{\"token\":\"t\x01\"}}", ""},
	{"trailing data", `{"data":{"token":"t"}} x`, ""},
	{"two documents", `{"data":{"token":"t"}}{}`, ""},
	{"truncated", `{"data":{"token":"t"}`, ""},
	{"trailing comma", `{"data":{"token":"t"},}`, ""},
	{"leading zero", `{"n":01,"data":{"token":"t"}}`, ""},
	{"bare minus", `{"n":-,"data":{"token":"t"}}`, ""},
	{"bad literal", `{"n":nul,"data":{"token":"t"}}`, ""},
	{"array", `[{"data":{"token":"t"}}]`, ""},
	{"empty", ``, ""},
	{"html", `<html>502 Bad Gateway</html>`, ""},
}

func TestReadGrantAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range answerCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := readGrantAnswer([]byte(tc.body))
			assert.Equal(t, tc.want, got)
			if tc.want == "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "check the origin points at PubNub")
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// TestScanGrantAnswer: the scanner reads the service's usual answers
// itself and leaves anything outside its subset (escapes, folded or
// repeated keys, non-ASCII tokens) to encoding/json.
func TestScanGrantAnswer(t *testing.T) {
	t.Parallel()
	scanned := map[string]bool{
		"service": true, "token first": true, "white space": true, "other values": true,
		"non-ASCII value bytes": true, "top-level token ignored": true, "deep": false,
	}
	for _, tc := range answerCases {
		got, ok := scanGrantAnswer([]byte(tc.body))
		assert.Equal(t, scanned[tc.name], ok, tc.name)
		if ok {
			assert.Equal(t, tc.want, got, tc.name)
		} else {
			assert.Empty(t, got, tc.name)
		}
	}
}

// FuzzScanGrantAnswer checks that whenever scanGrantAnswer reads a token,
// encoding/json reads the same one from the same bytes without error.
func FuzzScanGrantAnswer(f *testing.F) {
	for _, tc := range answerCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := scanGrantAnswer(b)
		if !ok {
			if got != "" {
				t.Fatalf("not ok but returned %q", got)
			}
			return
		}
		var resp grantResponse
		if err := json.Unmarshal(b, &resp); err != nil {
			t.Fatalf("scanner read %q, encoding/json failed: %v", got, err)
		}
		if resp.Data.Token != got {
			t.Fatalf("scanner read %q, encoding/json %q", got, resp.Data.Token)
		}
	})
}

// FuzzReadGrantAnswer: nothing panics, a token comes with no error and an
// error with no token, and an error message stays short whatever the body.
func FuzzReadGrantAnswer(f *testing.F) {
	for _, tc := range answerCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := readGrantAnswer(b)
		if (tok == "") != (err != nil) {
			t.Fatalf("token %q with error %v", tok, err)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Fatalf("error of %d bytes: %v", len(err.Error()), err)
		}
	})
}

// answerTransport answers every request with a canned grant answer, from
// memory.
type answerTransport struct{ answer string }

func (t answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(t.answer)),
		Request:    req,
	}, nil
}

// BenchmarkGrantToken grants through an in-memory transport: the client's
// whole overhead, without a network.
func BenchmarkGrantToken(b *testing.B) {
	c, err := New(testKeys, WithHTTPClient(&http.Client{Transport: answerTransport{
		grantOK,
	}}))
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GrantToken(ctx, benchRequest()); err != nil {
			b.Fatal(err)
		}
	}
}

// GrantTokenParsed returns the token and its content in one call; the
// parsed token is the one ParseToken returns. A token that does not parse
// is an error, and nothing half-made is returned.
func TestGrantTokenParsed(t *testing.T) {
	t.Parallel()
	issued := time.Unix(1795413158, 0)
	tok := mkToken(t, issued, 15*time.Minute, "room-1")
	c, _ := setup(t, http.StatusOK, `{"data":{"message":"Success","token":"`+tok+`"},"service":"Access Manager","status":200}`)
	req := NewTokenRequest(15*time.Minute).Channel("room-1", Read)
	token, parsed, err := c.GrantTokenParsed(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, tok, token)
	want, err := ParseToken(tok)
	require.NoError(t, err)
	assert.Equal(t, want, parsed)
	assert.Equal(t, issued.Add(15*time.Minute).UTC(), parsed.ExpiresAt())

	for name, body := range map[string]string{
		"token does not parse": `{"data":{"message":"Success","token":"` + tok[:len(tok)/2] + `"},"status":200}`,
		"service error":        `{"error":{"message":"Invalid ttl"},"status":400}`,
	} {
		status := http.StatusOK
		if strings.Contains(body, "error") {
			status = http.StatusBadRequest
		}
		c, _ := setup(t, status, body, WithRetry(RetryPolicy{MaxAttempts: 1}))
		token, parsed, err := c.GrantTokenParsed(context.Background(), req)
		require.Error(t, err, name)
		assert.Empty(t, token, name)
		assert.Nil(t, parsed, name)
		assert.True(t, strings.HasPrefix(err.Error(), "pam: grant token: "), err.Error())
		if name == "token does not parse" {
			assert.ErrorIs(t, err, ErrMalformedToken)
		}
	}
	_, _, err = c.GrantTokenParsed(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoPermissions)
}

// TestGrantAnswerTokenParsed: a grant answer whose token would not parse
// is an error that names the origin and wraps ErrMalformedToken (or
// ErrUnsupportedVersion), bounded in size and without the token.
func TestGrantAnswerTokenParsed(t *testing.T) {
	t.Parallel()
	v3 := base64.RawURLEncoding.EncodeToString([]byte{0xa1, 0x41, 'v', 0x03})
	tests := []struct {
		name     string
		token    string
		sentinel error
	}{
		{"not a token", "not-a-token", ErrMalformedToken},
		{"control characters", "p0F2\u0001\u0002AkF0\u001b[31m", ErrMalformedToken},
		{"900 KB", strings.Repeat("p0F2AkF0", 900<<10/8), ErrMalformedToken},
		{"truncated", grantToken[:len(grantToken)/2], ErrMalformedToken},
		{"trailing garbage", grantToken + "AAAA", ErrMalformedToken},
		{"version 3", v3, ErrUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			answer, err := json.Marshal(map[string]any{"data": map[string]string{"message": "Success", "token": tt.token}, "status": 200})
			require.NoError(t, err)
			c, rec := setup(t, 200, string(answer))
			got, err := c.GrantToken(context.Background(), grantReq)
			assert.Empty(t, got)
			require.ErrorIs(t, err, tt.sentinel)
			assert.Contains(t, err.Error(), rec.URL, "names the origin")
			assert.NotContains(t, err.Error(), tt.token)
			assert.Less(t, len(err.Error()), 512)
		})
	}
	c, _ := setup(t, 200, grantOK)
	got, err := c.GrantToken(context.Background(), grantReq)
	require.NoError(t, err)
	assert.Equal(t, grantToken, got)
}

// BenchmarkGrantAnswerCheck is what checking a grant answer's token adds to
// a grant: the strict decode without building the token.
func BenchmarkGrantAnswerCheck(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := checkToken(grantToken); err != nil {
			b.Fatal(err)
		}
	}
}

// The scanner reads a string eight bytes at a time where it can: a quote,
// backslash, control character or non-ASCII byte at any offset of the token
// is still seen, as one byte at a time would see it.
func TestScanGrantAnswerEveryOffset(t *testing.T) {
	t.Parallel()
	for _, c := range []string{`"`, `\`, "\x00", "\x1f", "é", "\x7f", " ", "~"} {
		for n := 1; n <= 24; n++ {
			for at := range n {
				tok := strings.Repeat("A", at) + c + strings.Repeat("B", n-at-1)
				body, err := json.Marshal(map[string]any{"data": map[string]string{"token": tok}})
				require.NoError(t, err)
				raw := `{"data":{"token":"` + tok + `"}}`
				got, ok := scanGrantAnswer([]byte(raw))
				plain := c[0] >= 0x20 && c[0] < 0x80 && c != `"` && c != `\`
				assert.Equal(t, plain, ok, "%q", raw)
				if ok {
					assert.Equal(t, tok, got)
				}
				// The same token, escaped as encoding/json writes it.
				got, ok = scanGrantAnswer(body)
				if ok {
					assert.Equal(t, tok, got, "%s", body)
				}
			}
		}
	}
}
