package pamtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/sign"
)

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
