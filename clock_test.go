package pam

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSleepContext(t *testing.T) {
	t.Parallel()
	assert.NoError(t, sleepContext(context.Background(), 0))
	assert.NoError(t, sleepContext(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, sleepContext(ctx, time.Hour), context.Canceled)
	assert.ErrorIs(t, sleepContext(ctx, 0), context.Canceled)
}

// windowServer is an httptest server that, like the service, refuses a
// timestamp more than 60 s from its own clock with 400 "Invalid timestamp"
// and sends its clock in the Date header.
type windowServer struct {
	*httptest.Server
	shift    time.Duration // the server's clock is time.Now() + shift
	noDate   bool          // send no Date header
	alwaysTS bool          // answer "Invalid timestamp" whatever the timestamp
	busy     atomic.Int32  // answer 503 this many times (after a timestamp check)
	mu       sync.Mutex
	stamps   []int64 // timestamps received
	statuses []int   // statuses sent
}

func newWindowServer(t *testing.T, configure func(*windowServer)) *windowServer {
	t.Helper()
	s := &windowServer{}
	if configure != nil {
		configure(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		now := time.Now().Add(s.shift)
		if s.noDate {
			w.Header()["Date"] = nil
		} else {
			w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		}
		ts, _ := strconv.ParseInt(r.URL.Query().Get("timestamp"), 10, 64)
		status, body := 200, grantOK
		if r.Method == http.MethodDelete {
			body = revokeOK
		}
		switch d := ts - now.Unix(); {
		case s.alwaysTS || d < -60 || d > 60:
			status = 400
			body = `{"error":{"message":"Invalid timestamp","source":"grant","details":[{"message":"Timestamp must be within 60 seconds of the server time.","location":"timestamp","locationType":"query"}]},"service":"Access Manager","status":400}`
		case s.busy.Add(-1) >= 0:
			status, body = 503, ""
		}
		s.mu.Lock()
		s.stamps = append(s.stamps, ts)
		s.statuses = append(s.statuses, status)
		s.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *windowServer) seen() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.statuses...)
}

// skewedClock is a local clock off by skew.
func skewedClock(skew time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(skew) }
}

func TestClockSkewCorrected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		clientSkew  time.Duration
		serverShift time.Duration
		first       []int // statuses of the first call's attempts
	}{
		{"client 10 minutes behind", -10 * time.Minute, 0, []int{400, 200}},
		{"client 10 minutes ahead", 10 * time.Minute, 0, []int{400, 200}},
		{"server 3 hours ahead", 0, 3 * time.Hour, []int{400, 200}},
		{"client a day behind", -24 * time.Hour, 0, []int{400, 200}},
		{"within the window", 30 * time.Second, 0, []int{200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newWindowServer(t, func(s *windowServer) { s.shift = tt.serverShift })
			c, err := New(testKeys, WithOrigin(s.URL), WithClock(skewedClock(tt.clientSkew)))
			require.NoError(t, err)
			c.sleep = func(context.Context, time.Duration) error { t.Error("no backoff for a clock correction"); return nil }

			_, err = c.GrantToken(context.Background(), grantReq)
			require.NoError(t, err)
			assert.Equal(t, tt.first, s.seen())
			if len(tt.first) > 1 {
				want := tt.serverShift - tt.clientSkew
				assert.InDelta(t, float64(want), float64(c.clockOffset.Load()), float64(2*time.Second), "offset = server - local")
				assert.WithinDuration(t, time.Now().Add(tt.serverShift), c.serverNow(), 2*time.Second)
			} else {
				assert.Zero(t, c.clockOffset.Load())
			}

			// Later calls, grant and revoke, are signed with the corrected
			// clock and go through at the first attempt.
			n := len(s.seen())
			_, err = c.GrantToken(context.Background(), grantReq)
			require.NoError(t, err)
			require.NoError(t, c.RevokeToken(context.Background(), "qEF2AkF0GmEI03xDdHRsGDxDcmVz"))
			assert.Equal(t, []int{200, 200}, s.seen()[n:])
		})
	}
}

func TestClockSkewEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		configure func(*windowServer)
		policy    RetryPolicy
		statuses  []int
		ok        bool
	}{
		{"no Date header: not corrected", func(s *windowServer) { s.noDate = true }, RetryPolicy{}, []int{400}, false},
		{"corrected once only", func(s *windowServer) { s.alwaysTS = true }, RetryPolicy{}, []int{400, 400}, false},
		{"not counted as an attempt", nil, RetryPolicy{MaxAttempts: 1}, []int{400, 200}, true},
		{"then a 503 is retried", func(s *windowServer) { s.busy.Store(1) }, RetryPolicy{MaxAttempts: 2}, []int{400, 503, 200}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newWindowServer(t, tt.configure)
			c, err := New(testKeys, WithOrigin(s.URL), WithClock(skewedClock(-10*time.Minute)), WithRetry(tt.policy))
			require.NoError(t, err)
			c.sleep = func(context.Context, time.Duration) error { return nil }
			_, err = c.GrantToken(context.Background(), grantReq)
			assert.Equal(t, tt.statuses, s.seen())
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 400, apiErr.StatusCode)
			assert.Equal(t, "Invalid timestamp", apiErr.Message)
		})
	}
}

// TestClockSkewConcurrent: many calls from a skewed client at once all
// succeed, and the offset ends up right.
func TestClockSkewConcurrent(t *testing.T) {
	t.Parallel()
	s := newWindowServer(t, nil)
	c, err := New(testKeys, WithOrigin(s.URL), WithClock(skewedClock(10*time.Minute)))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GrantToken(context.Background(), grantReq)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.InDelta(t, float64(-10*time.Minute), float64(c.clockOffset.Load()), float64(2*time.Second))
}

// TestClockOffsetBounded: after a 400 "Invalid timestamp", only a plausible
// Date header (within a day of the local clock, not before 2020) moves the
// client's clock; any other is ignored and the answer returned.
func TestClockOffsetBounded(t *testing.T) {
	t.Parallel()
	local := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(t time.Time) string { return t.Format(http.TimeFormat) }
	tests := []struct {
		name   string
		date   string
		offset time.Duration // 0: the clock does not move
	}{
		{"year 0001", date(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)), 0},
		{"year 1970", date(time.Unix(0, 0).UTC()), 0},
		{"year 2019", date(time.Date(2019, 12, 31, 23, 0, 0, 0, time.UTC)), 0},
		{"year 2100", date(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), 0},
		{"year 9999", date(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)), 0},
		{"garbage", "yesterday-ish", 0},
		{"a day and a minute ahead", date(local.Add(24*time.Hour + time.Minute)), 0},
		{"a day and a minute behind", date(local.Add(-24*time.Hour - time.Minute)), 0},
		{"one hour ahead", date(local.Add(time.Hour)), time.Hour},
		{"one hour behind", date(local.Add(-time.Hour)), -time.Hour},
		{"ten minutes ahead", date(local.Add(10 * time.Minute)), 10 * time.Minute},
		{"ten minutes behind", date(local.Add(-10 * time.Minute)), -10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if hits.Add(1) > 1 {
					_, _ = io.WriteString(w, grantOK)
					return
				}
				w.Header()["Date"] = []string{tt.date}
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":{"message":"Invalid timestamp","source":"grant"},"service":"Access Manager","status":400}`)
			}))
			t.Cleanup(srv.Close)
			c, err := New(testKeys, WithOrigin(srv.URL), WithClock(func() time.Time { return local }))
			require.NoError(t, err)
			_, err = c.GrantToken(context.Background(), grantReq)
			assert.Equal(t, tt.offset, time.Duration(c.clockOffset.Load()))
			if tt.offset == 0 {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr, "the answer is returned")
				assert.Equal(t, "Invalid timestamp", apiErr.Message)
				assert.EqualValues(t, 1, hits.Load(), "no retry on an implausible date")
				return
			}
			require.NoError(t, err)
			assert.EqualValues(t, 2, hits.Load(), "retried once with the corrected clock")
		})
	}
}

// TestOffsetNeverExpiresFreshToken: a learnt offset, up to the largest
// accepted, does not make a fresh token from a ReuseTokenSource look
// expired: the source is asked once, not on every request.
func TestOffsetNeverExpiresFreshToken(t *testing.T) {
	t.Parallel()
	// 24 hours is the largest offset a Date header can teach.
	for _, offset := range []time.Duration{23 * time.Hour, 24 * time.Hour, -23 * time.Hour} {
		t.Run(offset.String(), func(t *testing.T) {
			t.Parallel()
			src := &countingSource{tokens: []string{mkToken(t, time.Now(), 15*time.Minute, "fresh")}}
			srv := newAuthServer(t, nil)
			c, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, time.Minute)))
			c.clockOffset.Store(int64(offset))
			for range 5 {
				status, _ := get(t, hc, srv.URL+"/time/0")
				require.Equal(t, http.StatusOK, status)
			}
			assert.EqualValues(t, 1, src.calls.Load())
		})
	}
}
