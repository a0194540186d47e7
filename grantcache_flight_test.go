package pam_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrantCacheConcurrentIdenticalMakeOneGrant(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{})
	const callers = 1000
	toks, errs := make([]string, callers), make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Built in two orders, with the bits split in two: the same body.
			r := pam.NewTokenRequest(15 * time.Minute)
			if i%2 == 0 {
				r.AuthorizedUUID("user-1").Channel("room-1", pam.Read).Channel("room-1", pam.Write).ChannelPattern("^lobby-.*$", pam.Read)
			} else {
				r.ChannelPattern("^lobby-.*$", pam.Read).Channel("room-1", pam.Read|pam.Write).AuthorizedUUID("user-1")
			}
			<-start
			toks[i], errs[i] = g.GrantToken(context.Background(), r)
		}()
	}
	close(start)
	wg.Wait()
	for i := range callers {
		require.NoError(t, errs[i], "caller %d", i)
		require.Equal(t, toks[0], toks[i], "caller %d", i)
	}
	assert.EqualValues(t, 1, v.grants.Load(), "grants at the emulator")
	s := g.Stats()
	assert.EqualValues(t, 1, s.Grants)
	assert.EqualValues(t, 1, s.Misses)
	assert.EqualValues(t, callers-1, s.Hits+s.Shared)
	assert.Zero(t, s.Errors)
	assert.Equal(t, 1, s.Entries)
	tok, err := pam.ParseToken(toks[0])
	require.NoError(t, err)
	assert.Equal(t, "user-1", tok.AuthorizedUUID)
	assert.Equal(t, pam.Read|pam.Write, tok.Resources.Channels["room-1"])
}

func TestGrantCacheReleasesCancelledCallerAndKeepsGranting(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	v.gate = make(chan struct{})
	g := v.cache(t, pam.CacheConfig{})
	r := userRequest(1)

	ctxA, cancelA := context.WithCancel(context.Background())
	doneA := make(chan error, 1)
	go func() {
		_, err := g.GrantToken(ctxA, r)
		doneA <- err
	}()
	require.Eventually(t, func() bool { return v.grants.Load() == 1 }, 10*time.Second, time.Millisecond, "the grant reaches the emulator")
	type result struct {
		tok string
		err error
	}
	doneB := make(chan result, 1)
	go func() {
		tok, err := g.GrantToken(context.Background(), r)
		doneB <- result{tok, err}
	}()
	require.Eventually(t, func() bool { return g.Stats().Shared == 1 }, 10*time.Second, time.Millisecond, "B joins the grant")
	// A caller whose deadline has passed gets its context's error (not the
	// rate limit's: there is none).
	expired, cancelE := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelE()
	_, err := g.GrantToken(expired, r)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, pam.ErrRateLimited)

	cancelA()
	// A returns while the grant is still held at the emulator.
	assert.ErrorIs(t, <-doneA, context.Canceled)
	select {
	case res := <-doneB:
		t.Fatalf("B returned before the grant finished: %v", res.err)
	default:
	}
	close(v.gate)
	res := <-doneB
	require.NoError(t, res.err, "A's cancellation did not cancel the shared grant")
	_, err = pam.ParseToken(res.tok)
	require.NoError(t, err)

	tok, err := g.GrantToken(context.Background(), r)
	require.NoError(t, err)
	assert.Equal(t, res.tok, tok, "the grant A started was cached")
	assert.EqualValues(t, 1, v.grants.Load())
	assert.Equal(t, pam.CacheStats{Hits: 1, Misses: 1, Shared: 2, Grants: 1, Entries: 1}, g.Stats())

	// A caller whose context has already ended starts nothing.
	ctxC, cancelC := context.WithCancel(context.Background())
	cancelC()
	_, err = g.GrantToken(ctxC, userRequest(2))
	assert.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 1, v.grants.Load())
}

func TestGrantCacheRateLimitBoundsGrantsInAWindow(t *testing.T) {
	t.Parallel()
	const (
		rate    = 10
		burst   = 3
		callers = 40
		window  = time.Second
	)
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{GrantsPerSecond: rate, Burst: burst})
	// Every caller has the same deadline: the end of the window.
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var limited, granted, late atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := g.GrantToken(ctx, userRequest(i))
			switch {
			case err == nil:
				granted.Add(1)
			case errors.Is(err, pam.ErrRateLimited):
				limited.Add(1)
				assert.ErrorContains(t, err, "local rate limit reached")
			case errors.Is(err, context.DeadlineExceeded):
				late.Add(1) // the deadline came before the answer
			default:
				t.Errorf("a call failed other than by the rate limit or its deadline: %v", err)
			}
		}()
	}
	wg.Wait()
	// Reserved grants go out even when their caller has gone: wait for each
	// miss to end in a token or an error before counting.
	require.Eventually(t, func() bool { s := g.Stats(); return uint64(s.Entries)+s.Errors == s.Misses }, 10*time.Second, time.Millisecond)
	grants := v.grants.Load()
	// The bucket starts with Burst grants and gains GrantsPerSecond a
	// second; no grant is reserved past the deadline.
	maxGrants := int64(burst + rate*window/time.Second)
	assert.LessOrEqual(t, grants, maxGrants, "at most Burst + GrantsPerSecond × window grants")
	assert.Positive(t, limited.Load(), "the limit refused callers")
	// A refusal means the bucket was empty: the burst had gone out.
	assert.GreaterOrEqual(t, grants, int64(burst))
	assert.Equal(t, int64(callers), limited.Load()+granted.Load()+late.Load())
	assert.LessOrEqual(t, granted.Load(), grants)
	s := g.Stats()
	assert.EqualValues(t, grants, s.Grants)
	assert.EqualValues(t, grants, s.Misses-s.Errors, "every miss not refused sent one grant")

	t.Run("callers without a deadline wait their turn", func(t *testing.T) {
		t.Parallel()
		v := newVend(t)
		g := v.cache(t, pam.CacheConfig{GrantsPerSecond: 100, Burst: 2})
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := g.GrantToken(context.Background(), userRequest(i))
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		assert.EqualValues(t, 10, v.grants.Load())
		assert.Zero(t, g.Stats().Errors)
	})
}

// gatedSleep makes a cache's waits block until release is closed, so that
// a test decides when a rate-limited grant goes out.
func gatedSleep(release <-chan struct{}) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if d <= 0 {
			return ctx.Err()
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func TestGrantCacheRateLimitRefusesWhoCannotWait(t *testing.T) {
	t.Parallel()
	v := newVend(t)
	g := v.cache(t, pam.CacheConfig{GrantsPerSecond: 1, Burst: 1})
	release := make(chan struct{})
	pam.SetGrantCacheSleep(g, gatedSleep(release))
	bg := context.Background()
	_, err := g.GrantToken(bg, userRequest(1)) // takes the burst
	require.NoError(t, err)

	// The next grant may go out in about a second: a caller without a deadline waits.
	done := make(chan error, 1)
	go func() {
		_, err := g.GrantToken(bg, userRequest(2))
		done <- err
	}()
	require.Eventually(t, func() bool { return g.Stats().Misses == 2 }, 10*time.Second, time.Millisecond)

	short := func() context.Context {
		ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	_, err = g.GrantToken(short(), userRequest(2)) // joins, but the grant goes out after its deadline
	assert.ErrorIs(t, err, pam.ErrRateLimited)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	_, err = g.GrantToken(short(), userRequest(3)) // would start a grant after its deadline
	assert.ErrorIs(t, err, pam.ErrRateLimited)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)

	close(release)
	require.NoError(t, <-done)
	assert.EqualValues(t, 2, v.grants.Load())
	assert.Equal(t, pam.CacheStats{Misses: 3, Shared: 1, Grants: 2, Errors: 2, Entries: 2}, g.Stats())
}
