package pam

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLimiterIsATokenBucket(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	l := newLimiter(10, 3, start) // 10 grants a second, 3 at once

	for i := range 3 {
		wait, ok := l.reserve(start, time.Time{})
		assert.True(t, ok)
		assert.Zero(t, wait, "grant %d of the burst", i)
	}
	// The bucket is empty: each further grant is reserved 100 ms after the last.
	for i := 1; i <= 3; i++ {
		wait, ok := l.reserve(start, time.Time{})
		assert.True(t, ok)
		assert.Equal(t, time.Duration(i)*100*time.Millisecond, wait)
	}
	// A caller whose deadline comes before its turn takes nothing.
	wait, ok := l.reserve(start, at(350*time.Millisecond))
	assert.False(t, ok)
	assert.Equal(t, 400*time.Millisecond, wait)
	wait, ok = l.reserve(start, at(400*time.Millisecond))
	assert.True(t, ok, "a deadline exactly at its turn is enough")
	assert.Equal(t, 400*time.Millisecond, wait)

	// Time refills the bucket, up to the burst and no further.
	wait, ok = l.reserve(at(time.Hour), at(time.Hour))
	assert.True(t, ok)
	assert.Zero(t, wait)
	assert.InDelta(t, 2, l.tokens, 1e-9)
	// A clock that goes back refills nothing.
	wait, _ = l.reserve(at(time.Minute), time.Time{})
	assert.Zero(t, wait)
	assert.InDelta(t, 1, l.tokens, 1e-9)
}

func TestLimiterWaitIsBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(1e-300, 1, now)
	_, _ = l.reserve(now, time.Time{})
	wait, ok := l.reserve(now, now.Add(time.Hour))
	assert.False(t, ok)
	assert.Equal(t, maxLimiterWait, wait)
	e := &rateLimitError{wait: 1500 * time.Millisecond, rate: 2}
	assert.EqualValues(t, 2, e.retryAfter())
	assert.EqualValues(t, 1, (&rateLimitError{}).retryAfter())
	assert.ErrorIs(t, e, ErrRateLimited)
	assert.Contains(t, e.Error(), "local rate limit reached")
}
