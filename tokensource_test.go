package pam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithTokenSourceNil(t *testing.T) {
	t.Parallel()
	_, err := New(testKeys, WithTokenSource(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pam: WithTokenSource")
}

func TestReuseTokenSourceCaches(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	a := mkToken(t, t0, 10*time.Minute, "a")
	b := mkToken(t, t0.Add(9*time.Minute), 10*time.Minute, "b")
	src := &countingSource{tokens: []string{a, b}}
	rs := ReuseTokenSource(src, time.Minute).(*reuseTokenSource)
	ctx := context.Background()

	for range 3 {
		tok, err := rs.tokenAt(ctx, clocks{clk.now, clk.now})
		require.NoError(t, err)
		assert.Equal(t, a, tok)
	}
	assert.EqualValues(t, 1, src.calls.Load(), "cached")

	clk.set(t0.Add(9*time.Minute - time.Second)) // expires in 61 s: still good
	tok, err := rs.tokenAt(ctx, clocks{clk.now, clk.now})
	require.NoError(t, err)
	assert.Equal(t, a, tok)
	assert.EqualValues(t, 1, src.calls.Load())

	clk.set(t0.Add(9 * time.Minute)) // expires within early (1 min)
	tok, err = rs.tokenAt(ctx, clocks{clk.now, clk.now})
	require.NoError(t, err)
	assert.Equal(t, b, tok)
	assert.EqualValues(t, 2, src.calls.Load())

	rs.invalidate(a) // not the cached token any more: no effect
	tok, err = rs.tokenAt(ctx, clocks{clk.now, clk.now})
	require.NoError(t, err)
	assert.Equal(t, b, tok)
	assert.EqualValues(t, 2, src.calls.Load())

	rs.invalidate(b)
	_, err = rs.tokenAt(ctx, clocks{clk.now, clk.now})
	require.NoError(t, err)
	assert.EqualValues(t, 3, src.calls.Load(), "an invalidated token is fetched again")
}

func TestReuseTokenSourceWallClock(t *testing.T) {
	t.Parallel()
	fresh := mkToken(t, time.Now(), time.Hour, "fresh")
	src := &countingSource{tokens: []string{fresh}}
	ts := ReuseTokenSource(src, 5*time.Minute)
	for range 3 {
		tok, err := ts.Token(context.Background())
		require.NoError(t, err)
		assert.Equal(t, fresh, tok)
	}
	assert.EqualValues(t, 1, src.calls.Load())

	old := mkToken(t, time.Now().Add(-time.Hour), 61*time.Minute, "old") // expires in 1 min < early
	src2 := &countingSource{tokens: []string{old}}
	ts2 := ReuseTokenSource(ReuseTokenSource(src2, time.Hour), 5*time.Minute)
	for range 3 {
		_, err := ts2.Token(context.Background())
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, src2.calls.Load(), "refreshed each time: it expires within early")
	assert.Same(t, src2, ts2.(*reuseTokenSource).src, "not cached twice")
}

func TestReuseTokenSourceErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("source error wrapped, not cached", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("server unreachable")
		src := &countingSource{err: boom}
		ts := ReuseTokenSource(src, 0)
		_, err := ts.Token(ctx)
		require.ErrorIs(t, err, boom)
		assert.Equal(t, "pam: token source: server unreachable", err.Error())
		good := mkToken(t, time.Now(), time.Hour, "good")
		src.mu.Lock()
		src.err, src.tokens = nil, []string{good, good, good}
		src.mu.Unlock()
		tok, err := ts.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, good, tok)
		assert.EqualValues(t, 2, src.calls.Load())
	})
	t.Run("malformed token", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{"not-a-token-but-a-secret-looking-thing"}}
		ts := ReuseTokenSource(src, 0)
		for range 2 {
			_, err := ts.Token(ctx)
			require.ErrorIs(t, err, ErrMalformedToken)
			assert.True(t, strings.HasPrefix(err.Error(), "pam: token source: "), err.Error())
			assert.NotContains(t, err.Error(), "secret-looking")
		}
		assert.EqualValues(t, 2, src.calls.Load(), "not cached")
	})
	t.Run("empty token", func(t *testing.T) {
		t.Parallel()
		_, err := ReuseTokenSource(&countingSource{tokens: []string{""}}, 0).Token(ctx)
		require.ErrorIs(t, err, ErrMissingToken)
		assert.Equal(t, "pam: token source: missing token: the source returned an empty token", err.Error())
	})
	t.Run("nil source", func(t *testing.T) {
		t.Parallel()
		_, err := ReuseTokenSource(nil, 0).Token(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "pam: token source: ")
	})
	t.Run("panicking source", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		good := mkToken(t, time.Now(), time.Hour, "after-panic")
		ts := ReuseTokenSource(tokenSourceFunc(func(context.Context) (string, error) {
			if calls.Add(1) == 1 {
				panic("boom")
			}
			return good, nil
		}), 0)
		assert.Panics(t, func() { _, _ = ts.Token(ctx) })
		tok, err := ts.Token(ctx) // not wedged
		require.NoError(t, err)
		assert.Equal(t, good, tok)
	})
	t.Run("waiter gives up with its context", func(t *testing.T) {
		t.Parallel()
		src := &countingSource{tokens: []string{mkToken(t, time.Now(), time.Hour, "slow")}, gate: make(chan struct{})}
		ts := ReuseTokenSource(src, 0)
		leader := make(chan error, 1)
		go func() { _, err := ts.Token(ctx); leader <- err }()
		for src.calls.Load() == 0 { // wait for the leader to be inside src
			runtimeGosched()
		}
		wctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := ts.Token(wctx)
		require.ErrorIs(t, err, context.Canceled)
		close(src.gate)
		require.NoError(t, <-leader)
		assert.EqualValues(t, 1, src.calls.Load())
	})
	t.Run("leader's cancellation is not inherited", func(t *testing.T) {
		t.Parallel()
		tok := mkToken(t, time.Now(), time.Hour, "second")
		var calls atomic.Int32
		entered := make(chan struct{})
		ts := ReuseTokenSource(tokenSourceFunc(func(c context.Context) (string, error) {
			if calls.Add(1) == 1 {
				close(entered)
				<-c.Done()
				return "", c.Err()
			}
			return tok, nil
		}), 0)
		lctx, cancel := context.WithCancel(ctx)
		leader := make(chan error, 1)
		go func() { _, err := ts.Token(lctx); leader <- err }()
		<-entered
		waiter := make(chan string, 1)
		go func() { got, _ := ts.Token(ctx); waiter <- got }()
		cancel()
		require.ErrorIs(t, <-leader, context.Canceled)
		assert.Equal(t, tok, <-waiter)
	})
}

func TestReuseTokenSourceSingleFlight(t *testing.T) {
	t.Parallel()
	const n = 300
	tok := mkToken(t, time.Now(), time.Hour, "shared")
	src := &countingSource{tokens: []string{tok}, gate: make(chan struct{})}
	ts := ReuseTokenSource(src, time.Minute)
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	errs := make(chan error, n)
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			got, err := ts.Token(context.Background())
			if err == nil && got != tok {
				err = fmt.Errorf("got another token")
			}
			errs <- err
		}()
	}
	started.Wait()
	close(src.gate)
	done.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, src.calls.Load(), "one call to src for %d callers", n)
}
