package pam_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vend is the emulator behind a counter of grant requests, a server client
// for it, and a clock both share.
type vend struct {
	clk    *e2eClock
	srv    *httptest.Server
	keys   pam.Keys
	client *pam.Client
	grants atomic.Int64  // grant requests the emulator received
	denied atomic.Int64  // publishes it answered 403
	gate   chan struct{} // if set before the first request, grant requests wait for it to close
}

// vendEpoch is where the vend clocks start.
var vendEpoch = time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)

func newVend(tb testing.TB, opts ...pamtest.Option) *vend {
	tb.Helper()
	v := &vend{clk: new(e2eClock)}
	v.clk.ns.Store(vendEpoch.UnixNano())
	h := pamtest.NewHandler(append([]pamtest.Option{pamtest.WithClock(v.clk.now)}, opts...)...)
	v.keys = h.Keys()
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isGrant(r) {
			v.grants.Add(1)
			if v.gate != nil {
				<-v.gate
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusForbidden && strings.HasPrefix(r.URL.Path, "/publish/") {
			v.denied.Add(1)
		}
	}))
	tb.Cleanup(v.srv.Close)
	c, err := pam.New(v.keys, pam.WithOrigin(v.srv.URL), pam.WithClock(v.clk.now), pam.WithUserID("token-server"))
	require.NoError(tb, err)
	v.client = c
	return v
}

// isGrant reports whether r is a grant request (POST /v3/pam/{sub}/grant).
func isGrant(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v3/pam/") && strings.HasSuffix(r.URL.Path, "/grant")
}

func (v *vend) cache(tb testing.TB, cfg pam.CacheConfig) *pam.GrantCache {
	tb.Helper()
	g, err := pam.NewGrantCache(v.client, cfg)
	require.NoError(tb, err)
	return g
}

// userRequest is a typical device token: one user, their room, a lobby pattern.
func userRequest(i int) *pam.TokenRequest {
	return pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID(fmt.Sprintf("user-%d", i)).
		Channel(fmt.Sprintf("room-%d", i), pam.Read|pam.Write).
		ChannelPattern("^lobby-.*$", pam.Read)
}

func TestGrantCacheDistinctRequestsGrantOnceEach(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{})
	const distinct, calls, workers = 100, 10_000, 50
	var next atomic.Int64
	var mu sync.Mutex
	seen := make(map[int]string) // request → the one token it got
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := int(next.Add(1) - 1); n < calls; n = int(next.Add(1) - 1) {
				i := n % distinct
				tok, err := g.GrantToken(context.Background(), userRequest(i))
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				if prev, ok := seen[i]; ok {
					assert.Equal(t, prev, tok, "request %d got two tokens", i)
				}
				seen[i] = tok
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, distinct, v.grants.Load(), "grants at the emulator")
	s := g.Stats()
	assert.EqualValues(t, distinct, s.Grants)
	assert.EqualValues(t, distinct, s.Misses)
	assert.EqualValues(t, calls, s.Hits+s.Shared+s.Misses)
	assert.Equal(t, distinct, s.Entries)
	assert.Len(t, seen, distinct)
}

func TestGrantCacheIdenticalMeansSameBody(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{})
	ctx := context.Background()
	same := []*pam.TokenRequest{
		pam.NewTokenRequest(15*time.Minute).Channel("a", pam.Read).Channel("b", pam.Write).Meta("tier", "gold").Meta("n", 1),
		pam.NewTokenRequest(15*time.Minute).Meta("n", 1).Channel("b", pam.Write).Meta("tier", "silver").Channel("a", pam.Read).Meta("tier", "gold"),
	}
	other := []*pam.TokenRequest{
		pam.NewTokenRequest(16*time.Minute).Channel("a", pam.Read).Channel("b", pam.Write).Meta("tier", "gold").Meta("n", 1),
		pam.NewTokenRequest(15*time.Minute).Channel("a", pam.Read).Channel("b", pam.Write).Meta("tier", "gold").Meta("n", 2),
		pam.NewTokenRequest(15*time.Minute).Channel("a", pam.Read).ChannelGroup("b", pam.Read).Meta("tier", "gold").Meta("n", 1),
		pam.NewTokenRequest(15*time.Minute).Channel("a", pam.Read).Channel("b", pam.Write).Meta("tier", "gold").Meta("n", 1).AuthorizedUUID("u"),
	}
	first, err := g.GrantToken(ctx, same[0])
	require.NoError(t, err)
	tok, err := g.GrantToken(ctx, same[1])
	require.NoError(t, err)
	assert.Equal(t, first, tok)
	assert.EqualValues(t, 1, v.grants.Load())
	for i, r := range other {
		tok, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		assert.NotEqual(t, first, tok, "request %d", i)
	}
	assert.EqualValues(t, 1+len(other), v.grants.Load())
}

func TestGrantCacheRegrantsBelowMinRemaining(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		minRemaining time.Duration
		ttl          time.Duration
		lastHit      time.Duration // after the grant: exactly MinRemaining is left
	}{
		{"explicit", 5 * time.Minute, 15 * time.Minute, 10 * time.Minute},
		{"default: half the ttl", 0, 10 * time.Minute, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVend(t)
			g := v.cache(t, pam.CacheConfig{MinRemaining: tt.minRemaining})
			ctx := context.Background()
			r := pam.NewTokenRequest(tt.ttl).Channel("room-1", pam.Read)
			first, err := g.GrantToken(ctx, r)
			require.NoError(t, err)
			v.clk.add(tt.lastHit)
			tok, err := g.GrantToken(ctx, r)
			require.NoError(t, err)
			assert.Equal(t, first, tok, "at least MinRemaining left: cached")
			assert.EqualValues(t, 1, v.grants.Load())

			v.clk.add(time.Second)
			second, err := g.GrantToken(ctx, r)
			require.NoError(t, err)
			assert.NotEqual(t, first, second, "less than MinRemaining left: granted again")
			assert.EqualValues(t, 2, v.grants.Load())
			tok, err = g.GrantToken(ctx, r)
			require.NoError(t, err)
			assert.Equal(t, second, tok)
			assert.EqualValues(t, 2, v.grants.Load())
			s := g.Stats()
			assert.Equal(t, pam.CacheStats{Hits: 2, Misses: 2, Grants: 2, Entries: 1}, s)
		})
	}
}

func TestGrantCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{MaxEntries: 3})
	ctx := context.Background()
	grant := func(i int) {
		t.Helper()
		_, err := g.GrantToken(ctx, userRequest(i))
		require.NoError(t, err)
	}
	grant(0)
	grant(1)
	grant(2)
	grant(0) // hit: 0 is now the most recently used, 1 the least
	grant(3) // evicts 1
	assert.EqualValues(t, 4, v.grants.Load())
	assert.Equal(t, pam.CacheStats{Hits: 1, Misses: 4, Grants: 4, Evictions: 1, Entries: 3}, g.Stats())
	grant(0)
	grant(2)
	grant(3)
	assert.EqualValues(t, 4, v.grants.Load(), "0, 2 and 3 are cached")
	grant(1) // evicted: granted again, and evicts 0, now the least recently used
	assert.EqualValues(t, 5, v.grants.Load())
	grant(0)
	assert.EqualValues(t, 6, v.grants.Load())
	assert.Equal(t, pam.CacheStats{Hits: 4, Misses: 6, Grants: 6, Evictions: 3, Entries: 3}, g.Stats())
}

func TestGrantCacheNeverCachesErrors(t *testing.T) {
	t.Parallel()
	v := newVend(t, pamtest.WithMaxTTL(10))
	g := v.cache(t, pam.CacheConfig{})
	ctx := context.Background()

	// Refused by the service (ttl over the keyset's maximum): asked again each time.
	tooLong := pam.NewTokenRequest(20*time.Minute).Channel("room-1", pam.Read)
	for range 2 {
		_, err := g.GrantToken(ctx, tooLong)
		var apiErr *pam.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	}
	assert.EqualValues(t, 2, v.grants.Load())

	// Invalid: refused before the cache, with Client.GrantToken's error.
	for _, r := range []*pam.TokenRequest{nil, pam.NewTokenRequest(time.Minute), pam.NewTokenRequest(90*time.Second).Channel("a", pam.Read)} {
		_, err := g.GrantToken(ctx, r)
		require.Error(t, err)
		_, want := v.client.GrantToken(ctx, r)
		assert.Equal(t, want.Error(), err.Error())
		assert.Contains(t, err.Error(), strings.TrimPrefix(r.Validate().Error(), "pam: "))
	}
	//nolint:staticcheck // a nil context must be an error, not a panic
	_, err := g.GrantToken(nil, tooLong) //lint:ignore SA1012 testing nil
	assert.ErrorContains(t, err, "nil context")
	assert.EqualValues(t, 2, v.grants.Load())
	assert.Equal(t, pam.CacheStats{Misses: 2, Grants: 2, Errors: 2}, g.Stats())
}

func TestGrantCacheRevokeForgetsTheToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := userRequest(1)

	t.Run("the next call gets a new token", func(t *testing.T) {
		t.Parallel()
		v := newVend(t)
		g := v.cache(t, pam.CacheConfig{})
		// The service mints the same token for the same grant within a
		// second: the cache waits for the next one (here: moves the clock).
		pam.SetGrantCacheSleep(g, func(ctx context.Context, d time.Duration) error { v.clk.add(d); return ctx.Err() })
		first, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		require.NoError(t, g.RevokeToken(ctx, first))
		assert.Zero(t, g.Stats().Entries)

		second, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		assert.NotEqual(t, first, second)
		assert.EqualValues(t, 3, v.grants.Load(), "the first token, the same again (revoked: dropped), a new one")
		t1, err := pam.ParseToken(first)
		require.NoError(t, err)
		t2, err := pam.ParseToken(second)
		require.NoError(t, err)
		assert.True(t, t2.IssuedAt.After(t1.IssuedAt))

		again, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		assert.Equal(t, second, again, "the new token is cached")
		err = v.client.RevokeToken(ctx, first)
		assert.ErrorContains(t, err, "revoked", "the first token was revoked at the service")
	})

	t.Run("a revoked token that keeps coming back is an error", func(t *testing.T) {
		t.Parallel()
		v := newVend(t)
		g := v.cache(t, pam.CacheConfig{})
		pam.SetGrantCacheSleep(g, func(ctx context.Context, _ time.Duration) error { return ctx.Err() }) // the clock stands still
		first, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		require.NoError(t, g.RevokeToken(ctx, first))
		tok, err := g.GrantToken(ctx, r)
		assert.Empty(t, tok)
		assert.ErrorContains(t, err, "revoked through the cache")
		assert.NotContains(t, err.Error(), first)
		assert.EqualValues(t, 4, v.grants.Load(), "one grant, then three that answered the revoked token")
		assert.Zero(t, g.Stats().Entries)
	})

	t.Run("revoking through the client does not reach the cache", func(t *testing.T) {
		t.Parallel()
		v := newVend(t)
		g := v.cache(t, pam.CacheConfig{})
		first, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		require.NoError(t, v.client.RevokeToken(ctx, first))
		tok, err := g.GrantToken(ctx, r)
		require.NoError(t, err)
		assert.Equal(t, first, tok, "as documented: revoke through the cache instead")
	})
}

func TestNewGrantCacheChecksItsArguments(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	tests := []struct {
		name string
		cfg  pam.CacheConfig
		want []string
	}{
		{"negative MinRemaining", pam.CacheConfig{MinRemaining: -time.Second}, []string{"MinRemaining is -1s"}},
		{"negative MaxEntries", pam.CacheConfig{MaxEntries: -1}, []string{"MaxEntries is -1"}},
		{"negative rate", pam.CacheConfig{GrantsPerSecond: -1}, []string{"GrantsPerSecond is -1"}},
		{"NaN rate", pam.CacheConfig{GrantsPerSecond: math.NaN()}, []string{"GrantsPerSecond is NaN"}},
		{"burst without rate", pam.CacheConfig{Burst: 5}, []string{"Burst is 5 but GrantsPerSecond is 0"}},
		{"all at once", pam.CacheConfig{MaxEntries: -1, Burst: -1, GrantsPerSecond: 1}, []string{"MaxEntries is -1", "Burst is -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := pam.NewGrantCache(v.client, tt.cfg)
			assert.Nil(t, g)
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
	_, err := pam.NewGrantCache(nil, pam.CacheConfig{})
	assert.ErrorContains(t, err, "client is nil")
	device, err := pam.New(pam.Keys{Subscribe: v.keys.Subscribe})
	require.NoError(t, err)
	_, err = pam.NewGrantCache(device, pam.CacheConfig{})
	assert.ErrorIs(t, err, pam.ErrMissingSecretKey)
	assert.ErrorIs(t, err, pam.ErrMissingPublishKey)
}

// BenchmarkGrantCacheHit is one call answered from the cache: validating
// and normalising the request, building its body, hashing it, the lookup.
func BenchmarkGrantCacheHit(b *testing.B) {
	v := newVend(b)
	g := v.cache(b, pam.CacheConfig{})
	ctx := context.Background()
	r := userRequest(1)
	_, err := g.GrantToken(ctx, r)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, haveCPU := processCPU()
	for range b.N {
		if _, err := g.GrantToken(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1, ok := processCPU(); ok && haveCPU {
		// The CPU time, which a busy machine inflates less than wall time.
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.StopTimer()
	require.EqualValues(b, 1, v.grants.Load())
}

// BenchmarkGrantCacheHitParallel is cache hits from every core at once.
func BenchmarkGrantCacheHitParallel(b *testing.B) {
	v := newVend(b)
	g := v.cache(b, pam.CacheConfig{})
	ctx := context.Background()
	for i := range 64 {
		_, err := g.GrantToken(ctx, userRequest(i))
		require.NoError(b, err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := userRequest(int(next.Add(1) % 64))
		for pb.Next() {
			if _, err := g.GrantToken(ctx, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	require.EqualValues(b, 64, v.grants.Load())
}

// handlerTransport serves requests with a handler, in memory.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// BenchmarkGrantCacheMemory measures the heap a cache holds per entry, with
// userRequest's tokens (about 200 characters), and reports it as B/entry.
func BenchmarkGrantCacheMemory(b *testing.B) {
	const entries = 5000
	clk := new(e2eClock)
	clk.ns.Store(vendEpoch.UnixNano())
	h := pamtest.NewHandler(pamtest.WithClock(clk.now))
	keys := h.Keys()
	c, err := pam.New(keys, pam.WithOrigin("http://pam.invalid"), pam.WithClock(clk.now),
		pam.WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
	require.NoError(b, err)
	ctx := context.Background()
	reqs := make([]*pam.TokenRequest, entries)
	for i := range reqs {
		reqs[i] = userRequest(i)
	}
	var perEntry, tokenLen float64
	for range b.N {
		g, err := pam.NewGrantCache(c, pam.CacheConfig{})
		require.NoError(b, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		total := 0
		for _, r := range reqs {
			tok, err := g.GrantToken(ctx, r)
			require.NoError(b, err)
			total += len(tok)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		require.Equal(b, entries, g.Stats().Entries)
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / entries
		tokenLen = float64(total) / entries
		runtime.KeepAlive(g)
		runtime.KeepAlive(reqs)
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(tokenLen, "token-bytes")
}
