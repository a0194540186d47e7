package pamtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGrantQueryVariants: the signature covers every parameter sent,
// including auth, telemetry and special characters, decoded then
// re-encoded, whatever the order on the wire.
func TestGrantQueryVariants(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	body := grantBody(60, grants{"channels": {"a": 1}}, nil, nil, "")
	for _, extra := range [][]sign.Param{
		{{Key: "auth", Value: "p0F2AkF0-some_token=="}},
		{{Key: "l_pamv3", Value: "0.000168493"}},
		{{Key: "requestid", Value: "2b9c0f4e-3f3c-4c69-9f0a-3a8a2d8e9d10"}},
		{{Key: "custom", Value: "a b~c*é/+=&?"}},
	} {
		r := grantRaw(t, s, body, signedOpts{extra: extra})
		assert.Equal(t, 200, r.status, "%v: %s", extra, r.body)
	}

	// Go SDK style: values on the wire in another escaping, order unsorted.
	k := s.Keys()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	canon := "pnsdk=PubNub-Go%2F7.4.0&timestamp=" + ts + "&uuid=user%20id%2B%7E%2A%2F%C3%A9"
	path := "/v3/pam/" + k.Subscribe + "/grant"
	sig := sign.V2(k.Secret, "POST", k.Publish, path, canon, []byte(body))
	r := call(t, s, "POST", path+"?pnsdk=PubNub-Go/7.4.0&uuid=user%20id%2B~%2A%2F%C3%A9&timestamp="+ts+"&signature="+sig, []byte(body), "application/json")
	assert.Equal(t, 200, r.status, string(r.body))

	// A signature over a re-encoded path does not verify: the path is
	// signed exactly as sent.
	tok := mustGrant(t, s, body)
	sent := "/v3/pam/" + k.Subscribe + "/grant/" + strings.ReplaceAll(tok, "=", "%3d")
	q := "timestamp=" + ts + "&uuid=u"
	good := sign.V2(k.Secret, "DELETE", k.Publish, sent, q, nil)
	other := sign.V2(k.Secret, "DELETE", k.Publish, "/v3/pam/"+k.Subscribe+"/grant/"+sign.Encode(tok), q, nil)
	if strings.Contains(tok, "=") {
		r = call(t, s, "DELETE", sent+"?"+q+"&signature="+other, nil, "")
		assert.Equal(t, 403, r.status, string(r.body))
	}
	r = call(t, s, "DELETE", sent+"?"+q+"&signature="+good, nil, "")
	assert.Equal(t, 200, r.status, string(r.body))
}

// TestAbsoluteFormRequestLine: the official Go SDK sends
// "POST http://host/path?query HTTP/1.1"; the signed path is the path part.
func TestAbsoluteFormRequestLine(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	k := s.Keys()
	body := grantBody(60, grants{"channels": {"a": 1}}, nil, nil, "")
	path := "/v3/pam/" + k.Subscribe + "/grant"
	q := "timestamp=" + strconv.FormatInt(time.Now().Unix(), 10) + "&uuid=u"
	sig := sign.V2(k.Secret, "POST", k.Publish, path, q, []byte(body))
	host := strings.TrimPrefix(s.URL, "http://")
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST http://%s%s?%s&signature=%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		host, path, q, sig, host, len(body), body)
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	assert.Equal(t, 200, res.StatusCode, string(b))
}

// TestUnknownKeysAndRoutes: a wrong subscribe key, an unknown route.
func TestUnknownKeysAndRoutes(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := signed(t, s, "POST", "/v3/pam/sub-c-nope/grant", []byte(grantBody(60, grants{"channels": {"a": 1}}, nil, nil, "")), signedOpts{})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, v3(400, "Invalid subscribe key", "grant", "Specified key does not exist.", "subscribe-key", "path"), string(r.body))
	r = call(t, s, "GET", "/v2/subscribe/x/y/0", nil, "")
	assert.Equal(t, 404, r.status)
	assert.Equal(t, `{"error":true,"status":404,"message":"Not Found"}`, string(r.body))
	r = call(t, s, "GET", "/time/0", nil, "")
	assert.Equal(t, 200, r.status)
	assert.Regexp(t, `^\[\d{17}\]$`, string(r.body))
}

// fuzzKeys are the keys of the fuzzed emulator, so that seeds can reach the
// handlers behind the key checks.
var fuzzKeys = pam.Keys{Subscribe: "sub-c-f", Publish: "pub-c-f", Secret: "sec-c-f"}

// FuzzHandler sends arbitrary requests to the emulator: it must answer every
// one with a JSON body and never panic. Signed seeds get past the
// signature check, so mutations explore the grant body and token parsers.
func FuzzHandler(f *testing.F) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Unix(), 10)
	signedQuery := func(method, path string, body []byte) string {
		q := "timestamp=" + ts + "&uuid=u"
		return q + "&signature=" + sign.V2(fuzzKeys.Secret, method, fuzzKeys.Publish, path, q, body)
	}
	grantPath := "/v3/pam/sub-c-f/grant"
	for _, body := range []string{
		grantBody(60, grants{"channels": {"a": 3}}, grants{"uuids": {"^u-.*$": 32}}, map[string]any{"k": []any{1, "x", map[string]any{"n": nil}}}, "u"),
		grantBody("15", nil, grants{"channels": {"(a)++": 1}}, nil, ""),
		`{"ttl":1e400,"permissions":{"resources":{"channels":{"a":1e400}},"meta":{"a":1e400}}}`,
		`{"ttl":60,"permissions":{"resources":[],"patterns":"x","meta":{"d":{"d":{"d":{"d":{"d":{"d":{"d":{"d":{"d":{"d":1}}}}}}}}}}}}`,
		`null`, `[]`, ``,
	} {
		f.Add("POST", grantPath+"?"+signedQuery("POST", grantPath, []byte(body)), body, "application/json")
	}
	tokenBody := grantBody(60, grants{"channels": {"a": 3}}, nil, nil, "")
	f.Add("DELETE", "/v3/pam/sub-c-f/grant/p0F2AkF0GmsKwUxDdHRsGDxDcmVz?"+signedQuery("DELETE", "/v3/pam/sub-c-f/grant/p0F2AkF0GmsKwUxDdHRsGDxDcmVz", nil), "", "")
	f.Add("DELETE", "/v3/pam/sub-c-f/grant/%zz/%2F?timestamp="+ts, "", "")
	f.Add("GET", "/publish/pub-c-f/sub-c-f/0/a/0/%22hi%22?auth=qEF2AkF0GmsKwUxD&uuid=u", "", "")
	f.Add("GET", "/publish/pub-c-f/sub-c-f/0//0/", "", "")
	f.Add("GET", "/v3/history/sub-key/sub-c-f/channel/a,,b?auth=p0F2&max=-1", "", "")
	f.Add("GET", "/time/0", "", "")
	f.Add("POST", "/v3/pam//grant?timestamp=x&signature=", tokenBody, "text/plain")
	f.Fuzz(func(t *testing.T, method, target, body, ctype string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		h := newHandler(newConfig([]Option{WithKeys(fuzzKeys), WithClock(func() time.Time { return now })}))
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		req.RequestURI = target
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
		b := rec.Body.Bytes()
		if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
			t.Fatalf("body %q", b)
		}
		if rec.Code == http.StatusOK && method == "POST" {
			// A minted token must be usable.
			i := bytes.Index(b, []byte(`"token":"`))
			if i < 0 {
				t.Fatalf("grant answer without token: %s", b)
			}
			tok := string(b[i+9:])
			tok = tok[:strings.IndexByte(tok, '"')]
			if _, fault := h.decodeToken(tok); fault != tokenOK {
				t.Fatalf("minted token does not verify: %v", fault)
			}
		}
	})
}
