package pamtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/sign"
	"github.com/pamkit/pam/internal/tokencodec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkStore verifies the store's bookkeeping: its byte counter is the sum
// it stands for, every bound holds, and no channel is kept empty.
func checkStore(t *testing.T, s *messageStore) {
	t.Helper()
	total, n := 0, 0
	for name, c := range s.channels {
		require.NotEmpty(t, c.msgs, "channel %q kept empty", name)
		require.LessOrEqual(t, len(c.msgs), s.perChannel)
		total += len(name) + keptOverhead
		for i := range c.msgs {
			total += c.msgs[i].size()
		}
		n += len(c.msgs)
	}
	require.Equal(t, total, s.bytes, "byte counter")
	require.LessOrEqual(t, s.bytes, s.maxBytes)
	require.LessOrEqual(t, n, s.maxMessages)
	require.LessOrEqual(t, len(s.order)-s.head, s.maxMessages)
}

// smallCount is the store's message count bound in TestMessageStoreBounds.
const smallCount = 5000

// TestMessageStoreBounds: each bound drops the oldest messages first, and
// the counters stay exact.
func TestMessageStoreBounds(t *testing.T) {
	t.Parallel()
	big := json.RawMessage(`"` + strings.Repeat("x", maxPublishBytes-10) + `"`)
	tests := []struct {
		name      string
		publishes int
		channel   func(i int) string
		msg       json.RawMessage
		check     func(t *testing.T, s *messageStore)
	}{
		{"per channel: the last 100", 250, func(int) string { return "a" }, json.RawMessage(`1`),
			func(t *testing.T, s *messageStore) {
				msgs := s.get("a")
				require.Len(t, msgs, maxMessagesPerChannel)
				assert.Equal(t, "150", msgs[0].uuid, "oldest kept")
				assert.Equal(t, "249", msgs[99].uuid, "newest")
			}},
		{"bytes: the newest 32 MiB", 2000, func(i int) string { return "c" + strconv.Itoa(i%50) }, big,
			func(t *testing.T, s *messageStore) {
				assert.Greater(t, s.bytes, maxKeptBytes-2*maxPublishBytes, "full, not emptied")
				kept := 0
				for _, c := range s.channels {
					kept += len(c.msgs)
				}
				// The newest messages are the ones kept, in every channel.
				for i := 2000 - kept; i < 2000; i++ {
					assert.NotNil(t, s.get("c"+strconv.Itoa(i%50)), i)
				}
				last := s.get("c" + strconv.Itoa(1999%50))
				assert.Equal(t, "1999", last[len(last)-1].uuid)
				assert.Equal(t, strconv.Itoa(2000-kept), oldestUUID(s), "the oldest kept is the one after the last dropped")
			}},
		{"count: the newest messages in all", smallCount + 500, func(i int) string { return strconv.Itoa(i) }, json.RawMessage(`1`),
			func(t *testing.T, s *messageStore) {
				assert.Len(t, s.channels, smallCount)
				assert.Nil(t, s.get("499"))
				assert.NotNil(t, s.get("500"))
			}},
		{"one busy channel: its stale refs do not cost its messages", 3 * smallCount, func(int) string { return "busy" }, json.RawMessage(`1`),
			func(t *testing.T, s *messageStore) {
				assert.Len(t, s.get("busy"), maxMessagesPerChannel)
			}},
		{"a channel emptied and reused", 1500, func(i int) string {
			if i < 3 || i == 1499 {
				return "r"
			}
			return "o" + strconv.Itoa(i%50)
		}, big,
			func(t *testing.T, s *messageStore) {
				r := s.get("r")
				require.Len(t, r, 1, "the first three went with the oldest; the channel came back")
				assert.Equal(t, "1499", r[0].uuid)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newMessageStore()
			s.maxMessages = smallCount // the count bound, at a size a test runs quickly
			for i := range tt.publishes {
				s.add(tt.channel(i), message{msg: tt.msg, timetoken: int64(i), uuid: strconv.Itoa(i)})
			}
			checkStore(t, s)
			tt.check(t, s)
		})
	}
}

// oldestUUID is the uuid of the oldest message kept.
func oldestUUID(s *messageStore) string {
	for _, r := range s.order[s.head:] {
		if r.seq >= r.c.first && len(r.c.msgs) > 0 {
			return r.c.msgs[0].uuid
		}
	}
	return ""
}

// TestPublishSizeLimit: the channel and the message, as sent, may take 32
// KiB; one byte more is answered 413 "Message Too Large", as the service
// does, and nothing is kept.
func TestPublishSizeLimit(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	tok := mustGrant(t, s, grantBody(60, nil, grants{"channels": {"^.*$": 3}}, nil, ""))
	// msg returns a JSON string message that, escaped, takes n bytes with
	// channel ch: quotes escape to %22 (three bytes each).
	msg := func(ch string, n int) string { return `"` + strings.Repeat("a", n-len(ch)-6) + `"` }
	tests := []struct {
		name, ch, msg string
		status        int
	}{
		{"at the limit", "room-1", msg("room-1", maxPublishBytes), http.StatusOK},
		{"one byte over", "room-1", msg("room-1", maxPublishBytes+1), http.StatusRequestEntityTooLarge},
		{"the channel counts", strings.Repeat("c", 100), msg("room-1", maxPublishBytes), http.StatusRequestEntityTooLarge},
		{"escaping counts", "room-1", `"` + strings.Repeat(`\"`, maxPublishBytes/5) + `"`, http.StatusRequestEntityTooLarge},
		{"256 KB", "room-1", msg("room-1", 256<<10), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := publishRaw(t, s, tt.ch, tt.msg, tok, "u")
			require.Equal(t, tt.status, r.status, "%.200s", r.body)
			if tt.status == http.StatusOK {
				return
			}
			var body []any
			require.NoError(t, json.Unmarshal(r.body, &body))
			require.Len(t, body, 3)
			assert.Equal(t, float64(0), body[0])
			assert.Equal(t, "Message Too Large", body[1])
			assert.Regexp(t, `^\d{17}$`, body[2])
			s.h.mu.Lock()
			defer s.h.mu.Unlock()
			for _, m := range s.h.messages.get(tt.ch) {
				assert.Less(t, len(m.msg), maxPublishBytes, "a refused message is not kept")
			}
		})
	}
}

// publishRequest is a publish through the handler in memory, built once and
// served many times.
func publishRequest(h *handler, token, ch, msg string) *http.Request {
	q := "uuid=u&auth=" + url.QueryEscape(token)
	target := "/publish/" + h.keys.Publish + "/" + h.keys.Subscribe + "/0/" + sign.Encode(ch) + "/0/" + sign.Encode(msg) + "?" + q
	return &http.Request{Method: http.MethodGet, RequestURI: target, URL: &url.URL{Path: "/", RawQuery: q}, Header: http.Header{}}
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestPublishMemoryBound is the load test of "published messages are
// bounded in count but not in bytes". Through the handler, 2,000 publishes
// of 256 KB keep nothing (each is over the 32 KiB limit) and the heap does
// not grow with them; publishes under the limit are kept. Into the store
// that keeps them, 2,000 messages just under the limit (64 MB in all) keep
// at most maxKeptBytes (32 MiB). The bound is asserted on the emulator's
// own byte counter and, as a second check, on the heap in use after a
// collection: at most 48 MiB over the start (the 32 MiB kept, plus half
// again for the runtime's slack). Not parallel: the heap is measured.
func TestPublishMemoryBound(t *testing.T) {
	const (
		publishes = 2000
		heapBound = maxKeptBytes * 3 / 2
	)
	h := newHandler(newConfig(nil))
	tok, err := h.mint(&grantRequest{ttl: 60, pat: mustGrants(t, `{"channels":{"^.*$":3}}`)}, time.Now().Unix())
	require.NoError(t, err)
	near := strings.Repeat("y", maxPublishBytes-64)
	var hugeReqs [10]*http.Request
	for i := range hugeReqs {
		hugeReqs[i] = publishRequest(h, tok, fmt.Sprintf("big-%d", i), `"`+strings.Repeat("x", 256<<10)+`"`)
	}

	before := heapInUse()
	for i := range publishes {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, hugeReqs[i%10])
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "%d: %.200s", i, rec.Body.String())
	}
	afterHuge := heapInUse()
	require.Zero(t, h.messages.bytes, "nothing over the limit is kept")
	for i := range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, publishRequest(h, tok, fmt.Sprintf("near-%d", i%10), `"`+near+`"`))
		require.Equal(t, http.StatusOK, rec.Code, "%d: %.200s", i, rec.Body.String())
	}
	require.Greater(t, h.messages.bytes, 100*len(near), "publishes under the limit are kept")

	for i := range publishes { // each message its own copy, as a publish makes
		h.store(fmt.Sprintf("near-%d", i%50), message{msg: json.RawMessage(`"` + near + `"`), timetoken: int64(i), uuid: "u"})
	}
	after := heapInUse()
	h.mu.Lock()
	checkStore(t, h.messages)
	kept := h.messages.bytes
	h.mu.Unlock()
	grownHuge, grown := int64(afterHuge)-int64(before), int64(after)-int64(before)
	t.Logf("256 KB publishes: heap in use grew by %d bytes; then kept %d bytes (bound %d), heap in use %d bytes over the start (bound %d)",
		grownHuge, kept, maxKeptBytes, grown, heapBound)
	assert.Less(t, grownHuge, int64(4<<20), "refused publishes leave nothing behind")
	assert.LessOrEqual(t, kept, maxKeptBytes)
	assert.Greater(t, kept, maxKeptBytes-2*maxPublishBytes, "the store fills up before it drops")
	assert.LessOrEqual(t, grown, int64(heapBound))
	runtime.KeepAlive(h)
}

// mustGrants reads a grant map in the body's shape.
func mustGrants(tb testing.TB, js string) tokencodec.Grants {
	tb.Helper()
	invalid := &apiError{}
	g, _, e := parseGrants("resources", json.RawMessage(js), invalid)
	if e != nil || len(invalid.details) > 0 {
		tb.Fatalf("bad grants %s", js)
	}
	return g
}
