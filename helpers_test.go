package pam

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/require"
)

// testKeys is the keyset the vectors were captured with.
var testKeys = Keys{Subscribe: "mySubKey", Publish: "myPubKey", Secret: "mySecretKey"}

// captured is one request as the test server received it.
type captured struct {
	Method      string
	RawPath     string // path exactly as sent
	RawQuery    string
	Query       url.Values
	ContentType string
	Body        []byte
}

// recorder is an httptest server that records requests and answers with a
// fixed status, content type and body.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []captured
	status int
	body   string
}

func (r *recorder) requests() []captured {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]captured(nil), r.reqs...)
}

// setup starts a recorder answering status/body and a client pointed at it.
func setup(t *testing.T, status int, body string, opts ...Option) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{status: status, body: body}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		rawPath, rawQuery, _ := strings.Cut(req.RequestURI, "?")
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, captured{
			Method: req.Method, RawPath: rawPath, RawQuery: rawQuery, Query: req.URL.Query(),
			ContentType: req.Header.Get("Content-Type"), Body: b,
		})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "text/javascript; charset=UTF-8")
		w.WriteHeader(rec.status)
		_, _ = io.WriteString(w, rec.body)
	}))
	t.Cleanup(rec.Close)
	c, err := New(testKeys, append([]Option{WithOrigin(rec.URL), WithUserID("myUserId")}, opts...)...)
	require.NoError(t, err)
	return c, rec
}

// verifySignature recomputes the v2 signature of a captured request from its
// decoded query values, as the service does, and compares.
func verifySignature(t *testing.T, keys Keys, c captured) {
	t.Helper()
	var params []sign.Param
	for k, vs := range c.Query {
		require.Len(t, vs, 1, "query parameter %s repeated", k)
		if k != "signature" {
			params = append(params, sign.Param{Key: k, Value: vs[0]})
		}
	}
	sign.SortParams(params)
	want := sign.V2(keys.Secret, c.Method, keys.Publish, c.RawPath, string(sign.AppendQuery(nil, params)), c.Body)
	require.Equal(t, want, c.Query.Get("signature"), "signature does not cover the request as sent")
}

const grantOK = `{"data":{"message":"Success","token":"qEF2AkF0GmEI03xDdHRsGDxDcmVz"},"service":"Access Manager","status":200}`

func loadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// fixedClock returns a clock stopped at unix seconds.
func fixedClock(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}
