package pamtest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// key returns a distinct revocation key for i.
func key(i int) (k [32]byte) {
	binary.BigEndian.PutUint64(k[:], uint64(i)+1)
	return k
}

// TestRevocationsExpire: revocations are dropped once their tokens have
// expired, and each one is looked at once when it is.
func TestRevocationsExpire(t *testing.T) {
	t.Parallel()
	const now = int64(1_750_000_020) // the start of a minute
	tests := []struct {
		name     string
		expiries []int64 // seconds after now
		later    int64   // the clock moves this far
		kept     int
	}{
		{"nothing expired", []int64{60, 120, 43200 * 60}, 59, 3},
		{"all expired", []int64{60, 61, 3600}, 3600 + 60, 0},
		{"expired in an earlier minute only", []int64{30, 90, 150}, 120, 1},
		{"the current minute is kept", []int64{121}, 125, 1},
		{"a year later", []int64{60, 43200 * 60}, 365 * 24 * 3600, 0},
		{"the clock moved back", []int64{60, 120}, -3600, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRevocations()
			for i, e := range tt.expiries {
				require.True(t, r.add(key(i), now+e, now))
				require.False(t, r.add(key(i), now+e, now), "revoked once")
			}
			assert.True(t, r.has(key(0), now))
			r.sweep(now + tt.later)
			assert.Equal(t, tt.kept, r.len())
			assert.Equal(t, len(tt.expiries)-tt.kept, r.visited, "each dropped entry visited once, the others never")
			filed := 0
			for _, keys := range r.byMin {
				filed += len(keys)
			}
			assert.Equal(t, tt.kept, filed)
		})
	}
}

// TestRevocationsConstantWork: the work of a revocation does not grow with
// the set. 80,000 revocations at one moment visit nothing; as the clock
// moves a day on, minute by minute, each revocation is visited exactly once,
// when it expires, and the set holds only the unexpired ones. (The emulator
// used to scan the whole set on every revoke past 65,536 entries.)
func TestRevocationsConstantWork(t *testing.T) {
	t.Parallel()
	const (
		n   = 80_000
		now = int64(1_750_000_000)
		day = int64(24 * 3600)
	)
	rng := rand.New(rand.NewPCG(1, 2))
	r := newRevocations()
	expiries := make([]int64, n)
	for i := range n {
		expiries[i] = now + 60 + rng.Int64N(2*day) // from 1 minute to 2 days
		require.True(t, r.add(key(i), expiries[i], now))
	}
	assert.Zero(t, r.visited, "revoking at one moment looks at no other entry")
	require.Equal(t, n, r.len())

	for m := int64(1); m <= day/60; m++ {
		r.sweep(now + m*60)
	}
	want := 0
	for _, e := range expiries {
		if minuteOf(e) >= minuteOf(now+day) {
			want++
		}
	}
	assert.Equal(t, want, r.len(), "only the unexpired are kept")
	assert.Equal(t, n-want, r.visited, "each expired entry visited once")
	for i, e := range expiries {
		if i%997 == 0 {
			assert.Equal(t, minuteOf(e) >= minuteOf(now+day), r.has(key(i), now+day), i)
		}
	}
}

// revokeRequests mints n tokens on h and returns a signed DELETE request
// for each, to serve in memory.
func revokeRequests(tb testing.TB, h *handler, n int, now time.Time) []*http.Request {
	tb.Helper()
	reqs := make([]*http.Request, n)
	q := "timestamp=" + strconv.FormatInt(now.Unix(), 10) + "&uuid=server"
	for i := range reqs {
		tok, err := h.mint(&grantRequest{ttl: 60, res: mustGrants(tb, fmt.Sprintf(`{"channels":{"c-%d":1}}`, i))}, now.Unix())
		if err != nil {
			tb.Fatal(err)
		}
		path := "/v3/pam/" + h.keys.Subscribe + "/grant/" + sign.Encode(tok)
		full := q + "&signature=" + sign.V2(h.keys.Secret, http.MethodDelete, h.keys.Publish, path, q, nil)
		reqs[i] = &http.Request{Method: http.MethodDelete, RequestURI: path + "?" + full, URL: &url.URL{Path: "/", RawQuery: full}, Header: http.Header{}}
	}
	return reqs
}

// serveRevokes serves the revoke requests and fails unless each is a 200.
func serveRevokes(tb testing.TB, h *handler, reqs []*http.Request) {
	for _, req := range reqs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			tb.Fatalf("revoke: %d %s", rec.Code, rec.Body)
		}
	}
}

// TestRevokeThroughHandlerKeepsNoExpired: revokes through the handler
// drop the revocations of tokens that have expired since.
func TestRevokeThroughHandlerKeepsNoExpired(t *testing.T) {
	t.Parallel()
	clk := newClock(fixedNow)
	h := newHandler(newConfig([]Option{WithClock(clk.Now)}))
	serveRevokes(t, h, revokeRequests(t, h, 50, fixedNow))
	require.Equal(t, 50, h.revoked.len())
	clk.Add(2 * time.Hour) // past the tokens' 60 minutes
	serveRevokes(t, h, revokeRequests(t, h, 1, clk.Now()))
	assert.Equal(t, 1, h.revoked.len())
	assert.Len(t, h.revoked.byMin, 1)
}

// BenchmarkRevoke80000 revokes b.N tokens through the handler, in memory,
// timing each, and reports the median time per revoke of the first 1,000,
// of all b.N and of the last 1,000, and the ratio of all to the first
// (medians, so that a revoke descheduled on a busy machine does not count
// as slow). Run it with -benchtime 80000x for the figure: 80,000
// revocations at most 2x the time per revoke of the first 1,000.
func BenchmarkRevoke80000(b *testing.B) {
	const block = 1000
	h := newHandler(newConfig([]Option{WithClock(func() time.Time { return fixedNow })}))
	reqs := revokeRequests(b, h, b.N, fixedNow)
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range reqs {
		t0 := time.Now()
		serveRevokes(b, h, reqs[i:i+1])
		took[i] = time.Since(t0)
	}
	b.StopTimer()
	if b.N >= 2*block {
		first, all, last := median(took[:block]), median(took), median(took[b.N-block:])
		b.ReportMetric(float64(first.Nanoseconds()), "p50-ns/revoke-first-1000")
		b.ReportMetric(float64(all.Nanoseconds()), "p50-ns/revoke-all")
		b.ReportMetric(float64(last.Nanoseconds()), "p50-ns/revoke-last-1000")
		b.ReportMetric(float64(all)/float64(first), "all/first")
	}
}

// median returns the median of ds, which it leaves in place.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
