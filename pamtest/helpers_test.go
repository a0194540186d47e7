package pamtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/require"
)

// fixedNow is the clock of most tests.
var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for tests, safe for concurrent use.
type clock struct{ ch chan time.Time }

func newClock(t time.Time) *clock {
	c := &clock{ch: make(chan time.Time, 1)}
	c.ch <- t
	return c
}

func (c *clock) Now() time.Time      { t := <-c.ch; c.ch <- t; return t }
func (c *clock) Set(t time.Time)     { <-c.ch; c.ch <- t }
func (c *clock) Add(d time.Duration) { t := <-c.ch; c.ch <- t.Add(d) }

// testHTTP is the HTTP client of the tests; it keeps enough idle
// connections for the load test.
var testHTTP = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128}, Timeout: 30 * time.Second}

// newTestServer starts an emulator closed at the end of the test.
func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request with an already built raw path and query. It is
// safe to use from any goroutine: a transport failure is reported with
// t.Errorf and gives a zero response.
func call(t *testing.T, s *Server, method, rawPathQuery string, body []byte, ctype string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+rawPathQuery, rd)
	if err != nil {
		t.Errorf("new request: %v", err)
		return response{}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := testHTTP.Do(req)
	if err != nil {
		t.Errorf("%s: %v", method, err)
		return response{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	return response{res.StatusCode, res.Header, b}
}

// signedOpts adjusts a signed request.
type signedOpts struct {
	secret    string // default: the server's
	publish   string // default: the server's
	timestamp int64  // default: now (the server's clock at fixedNow, or time.Now)
	ctype     string // default application/json for POST
	extra     []sign.Param
	mutate    func(sig string) string
}

// signed sends a v2-signed request for rawPath (escaped as it will be sent).
func signed(t *testing.T, s *Server, method, rawPath string, body []byte, o signedOpts) response {
	t.Helper()
	k := s.Keys()
	if o.secret == "" {
		o.secret = k.Secret
	}
	if o.publish == "" {
		o.publish = k.Publish
	}
	if o.timestamp == 0 {
		o.timestamp = s.h.now().Unix()
	}
	if o.ctype == "" && method == http.MethodPost {
		o.ctype = "application/json"
	}
	params := append([]sign.Param{
		{Key: "uuid", Value: "server-1"},
		{Key: "pnsdk", Value: "PubNub-Go-pam/test"},
		{Key: "timestamp", Value: strconv.FormatInt(o.timestamp, 10)},
	}, o.extra...)
	sign.SortParams(params)
	q := string(sign.AppendQuery(nil, params))
	sig := sign.V2(o.secret, method, o.publish, rawPath, q, body)
	if o.mutate != nil {
		sig = o.mutate(sig)
	}
	return call(t, s, method, rawPath+"?"+q+"&signature="+sig, body, o.ctype)
}

// grantRaw posts a grant body.
func grantRaw(t *testing.T, s *Server, body string, o signedOpts) response {
	t.Helper()
	return signed(t, s, http.MethodPost, "/v3/pam/"+s.Keys().Subscribe+"/grant", []byte(body), o)
}

// body builds a grant body in the official SDKs' shape.
func grantBody(ttl any, res, pat map[string]map[string]any, meta map[string]any, uuid string) string {
	full := func(m map[string]map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, tp := range grantTypes {
			out[tp] = map[string]any{}
			for k, v := range m[tp] {
				out[tp][k] = v
			}
		}
		return out
	}
	perms := map[string]any{"resources": full(res), "patterns": full(pat), "meta": meta}
	if meta == nil {
		perms["meta"] = map[string]any{}
	}
	if uuid != "" {
		perms["uuid"] = uuid
	}
	b, _ := json.Marshal(map[string]any{"ttl": ttl, "permissions": perms})
	return string(b)
}

// mustGrant grants and returns the token.
func mustGrant(t *testing.T, s *Server, body string) string {
	t.Helper()
	r := grantRaw(t, s, body, signedOpts{})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var ok grantOK
	require.NoError(t, json.Unmarshal(r.body, &ok))
	return ok.Data.Token
}

// revokeRaw revokes token, escaped as pam does.
func revokeRaw(t *testing.T, s *Server, token string, o signedOpts) response {
	t.Helper()
	return signed(t, s, http.MethodDelete, "/v3/pam/"+s.Keys().Subscribe+"/grant/"+sign.Encode(token), nil, o)
}

// publishRaw publishes msg (JSON) to ch with the token and uuid.
func publishRaw(t *testing.T, s *Server, ch, msg, token, uuid string) response {
	t.Helper()
	k := s.Keys()
	q := []sign.Param{{Key: "uuid", Value: uuid}}
	if token != "" {
		q = append(q, sign.Param{Key: "auth", Value: token})
	}
	return call(t, s, http.MethodGet, "/publish/"+k.Publish+"/"+k.Subscribe+"/0/"+sign.Encode(ch)+"/0/"+sign.Encode(msg)+"?"+string(sign.AppendQuery(nil, q)), nil, "")
}

// historyRaw reads history of chans (comma-separated) with the token.
func historyRaw(t *testing.T, s *Server, chans, token, uuid string) response {
	t.Helper()
	q := []sign.Param{{Key: "uuid", Value: uuid}, {Key: "include_uuid", Value: "true"}}
	if token != "" {
		q = append(q, sign.Param{Key: "auth", Value: token})
	}
	return call(t, s, http.MethodGet, "/v3/history/sub-key/"+s.Keys().Subscribe+"/channel/"+sign.Encode(chans)+"?"+string(sign.AppendQuery(nil, q)), nil, "")
}
