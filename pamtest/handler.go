package pamtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/authz"
	"github.com/pamkit/pam/internal/sign"
)

// timestampWindow is how far a request's timestamp may be from the
// emulator's clock, either way.
const timestampWindow = 60 * time.Second

// maxBody bounds the grant body the emulator reads.
const maxBody = 1 << 20

// handler is the emulator. All its state is guarded by mu, but for the
// pattern cache, which guards itself.
type handler struct {
	keys           pam.Keys
	now            func() time.Time
	maxTTL         int
	revokeDisabled bool

	mu       sync.Mutex
	revoked  *revocations  // revoked tokens, by signature
	messages *messageStore // recent published messages
	lastTT   int64         // last timetoken handed out

	patterns authz.Cache // the keyset's grant patterns, compiled; safe for concurrent use
}

// newUUID returns a random UUID string.
func newUUID() string { return uuid.NewString() }

func newHandler(c *config) *handler {
	return &handler{
		keys:           c.keys,
		now:            c.now,
		maxTTL:         c.maxTTL,
		revokeDisabled: c.revokeDisabled,
		revoked:        newRevocations(),
		messages:       newMessageStore(),
	}
}

// request is what the handlers need of an HTTP request, read once.
type request struct {
	r       *http.Request
	now     time.Time
	rawPath string   // the path exactly as the client sent it
	segs    []string // rawPath split on "/", still escaped; segs[0] == ""
	params  []sign.Param
	badQS   bool // some of the query could not be decoded
}

// param returns the first value of the query parameter key.
func (q *request) param(key string) (string, bool) {
	for _, p := range q.params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// seg returns the unescaped path segment i, or false if it is missing or
// badly escaped.
func (q *request) seg(i int) (string, bool) {
	if i >= len(q.segs) {
		return "", false
	}
	s, err := url.PathUnescape(q.segs[i])
	if err != nil {
		return "", false
	}
	return s, true
}

// rawPath returns the request path exactly as the client sent it: the
// request-target of the request line without its query, and without scheme
// and host when the client used the absolute form (the official Go SDK
// does). The signature covers these bytes, so they must not be re-encoded.
func rawPath(r *http.Request) string {
	target := r.RequestURI
	if target == "" {
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if i := strings.Index(target, "://"); i >= 0 && !strings.HasPrefix(target, "/") {
		rest := target[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			target = rest[j:]
		} else {
			target = "/"
		}
	}
	return target
}

// parseQuery decodes a raw query into parameters in the order sent. ok is
// false if a key or value is badly escaped.
func parseQuery(raw string) (params []sign.Param, ok bool) {
	ok = true
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			ok = false
			continue
		}
		params = append(params, sign.Param{Key: dk, Value: dv})
	}
	return params, ok
}

// ServeHTTP routes a request to the emulated endpoint.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &request{r: r, now: h.now(), rawPath: rawPath(r)}
	q.segs = strings.Split(q.rawPath, "/")
	var ok bool
	q.params, ok = parseQuery(r.URL.RawQuery)
	q.badQS = !ok
	if serve := h.route(r.Method, q.segs); serve != nil {
		serve(w, q)
		return
	}
	writeFlatError(w, q.now, http.StatusNotFound, "", "Not Found")
}

// route returns what answers a method on a path split at "/", or nil.
func (h *handler) route(method string, s []string) func(http.ResponseWriter, *request) {
	switch {
	case method == http.MethodPost && isGrantPath(s) && len(s) == 5:
		return h.grant
	case method == http.MethodDelete && isGrantPath(s) && len(s) >= 6:
		return h.revoke
	case method != http.MethodGet:
		return nil
	case len(s) >= 8 && s[1] == "publish":
		return h.publish
	case isHistoryPath(s):
		return h.history
	case len(s) == 3 && s[1] == "time" && s[2] == "0":
		return h.time
	}
	return nil
}

// isGrantPath matches /v3/pam/{sub}/grant and what follows it.
func isGrantPath(s []string) bool {
	return len(s) >= 5 && s[1] == "v3" && s[2] == "pam" && s[4] == "grant"
}

// isHistoryPath matches /v3/history/sub-key/{sub}/channel/{channels}.
func isHistoryPath(s []string) bool {
	return len(s) == 7 && s[1] == "v3" && s[2] == "history" && s[3] == "sub-key" && s[5] == "channel"
}

// time answers /time/0 with the current timetoken.
func (h *handler) time(w http.ResponseWriter, q *request) {
	writeBody(w, q.now, http.StatusOK, []byte("["+strconv.FormatInt(h.timetoken(q.now), 10)+"]"))
}

// checkSubscribeKey answers 400 unless sub is the emulator's subscribe key.
func (h *handler) checkSubscribeKey(sub string) *apiError {
	if sub != h.keys.Subscribe {
		return newAPIError(http.StatusBadRequest, msgInvalidSubscribeKey, detailUnknownKey, "subscribe-key", "path")
	}
	return nil
}

// verify checks the timestamp window and the v2 signature of a grant or
// revoke request. body is the exact request body (nil for DELETE).
func (h *handler) verify(q *request, body []byte) *apiError {
	ts, ok := q.param("timestamp")
	if !ok {
		return newAPIError(http.StatusBadRequest, msgInvalidTimestamp, detailMissingTimestamp, "timestamp", "query")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return newAPIError(http.StatusBadRequest, msgInvalidTimestamp, detailMissingTimestamp, "timestamp", "query")
	}
	// Compare in seconds without overflowing on absurd timestamps.
	now := q.now.Unix()
	if sec < now-int64(timestampWindow/time.Second) || sec > now+int64(timestampWindow/time.Second) {
		return newAPIError(http.StatusBadRequest, msgInvalidTimestamp, detailStaleTimestamp, "timestamp", "query")
	}
	got, ok := q.param("signature")
	if !ok || got == "" {
		return newAPIError(http.StatusForbidden, msgInvalidSignature, detailMissingSignature, "signature", "query")
	}
	if q.badQS {
		return newAPIError(http.StatusForbidden, msgInvalidSignature, detailBadSignature, "signature", "query")
	}
	params := make([]sign.Param, 0, len(q.params))
	for _, p := range q.params {
		if p.Key != "signature" {
			params = append(params, p)
		}
	}
	sign.SortParams(params)
	canon := string(sign.AppendQuery(nil, params))
	want := sign.V2(h.keys.Secret, q.r.Method, h.keys.Publish, q.rawPath, canon, body)
	if !sign.Equal(got, want) {
		return newAPIError(http.StatusForbidden, msgInvalidSignature, detailBadSignature, "signature", "query")
	}
	return nil
}

// timetoken returns a new 17-digit PubNub timetoken (100 ns units since the
// Unix epoch), strictly greater than every one handed out before.
func (h *handler) timetoken(now time.Time) int64 {
	tt := now.UnixNano() / 100
	h.mu.Lock()
	defer h.mu.Unlock()
	if tt <= h.lastTT {
		tt = h.lastTT + 1
	}
	h.lastTT = tt
	return tt
}
