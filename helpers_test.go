package pam

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/sign"
	"github.com/pamkit/pam/internal/tokencodec"
	"github.com/stretchr/testify/require"
)

// t0 is the test clocks' epoch.
var t0 = time.Unix(1_700_000_000, 0)

// mkToken returns a real-format token issued at issued, valid for ttl, made
// distinct by tag (which also decides its length, and so its padding).
func mkToken(tb testing.TB, issued time.Time, ttl time.Duration, tag string) string {
	tb.Helper()
	b, err := tokencodec.Encode(&tokencodec.Token{
		Version:   2,
		Timestamp: uint64(issued.Unix()),
		TTL:       uint64(ttl / time.Minute),
		Res:       tokencodec.Grants{Chan: map[string]uint32{tag: 3}},
		Sig:       []byte("sig-" + tag),
	}, true)
	require.NoError(tb, err)
	return base64.URLEncoding.EncodeToString(b)
}

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(at time.Time) *clock {
	c := new(clock)
	c.set(at)
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(at time.Time)    { c.ns.Store(at.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// countingSource returns its tokens in turn (the last one forever), or err,
// and counts its calls.
type countingSource struct {
	calls  atomic.Int32
	mu     sync.Mutex
	tokens []string
	err    error
	gate   chan struct{} // if set, each call waits for it to be closed
}

func (s *countingSource) Token(ctx context.Context) (string, error) {
	n := int(s.calls.Add(1))
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	return s.tokens[min(n, len(s.tokens))-1], nil
}

// tokenSourceFunc adapts a function to TokenSource.
type tokenSourceFunc func(ctx context.Context) (string, error)

func (f tokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

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

// grantToken is a real token (the contract token, tok01): GrantToken
// checks that the answer's token parses.
const grantToken = "qEF2AkF0GmEI03xDdHRsGDxDcmVzpURjaGFuoWljaGFubmVsLTEY70NncnChb2NoYW5uZWxfZ3JvdXAtMQVDdXNyoENzcGOgRHV1aWShZnV1aWQtMRhoQ3BhdKVEY2hhbqFtXmNoYW5uZWwtXFMqJBjvQ2dycKF0XjpjaGFubmVsX2dyb3VwLVxTKiQFQ3VzcqBDc3BjoER1dWlkoWpedXVpZC1cUyokGGhEbWV0YaBEdXVpZHR0ZXN0LWF1dGhvcml6ZWQtdXVpZENzaWdYIPpU-vCe9rkpYs87YUrFNWkyNq8CVvmKwEjVinnDrJJc"

const grantOK = `{"data":{"message":"Success","token":"` + grantToken + `"},"service":"Access Manager","status":200}`

// fixedClock returns a clock stopped at unix seconds.
func fixedClock(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}

// setKeys gives c another keyset, as New would have stored it.
func setKeys(c *Client, keys Keys) {
	c.signer = sign.NewSigner(keys.Secret)
	c.hasSecret = keys.Secret != ""
	keys.Secret = ""
	c.keys = keys
}

// recordingServer is an httptest server that keeps what record makes of
// each request and answers with respond.
type recordingServer struct {
	*httptest.Server
	mu  sync.Mutex
	got []string
}

func newRecordingServer(t *testing.T, record func(r *http.Request, body []byte) []string, respond func(w http.ResponseWriter, r *http.Request)) *recordingServer {
	t.Helper()
	s := &recordingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, record(r, b)...)
		s.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// recorded returns what was kept so far.
func (s *recordingServer) recorded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}
