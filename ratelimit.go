package pam

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrRateLimited: a [GrantCache] did not send a grant because its
// client-side limit ([CacheConfig.GrantsPerSecond]) was reached and the
// caller's context could not wait for the next free slot. [TokenHandler]
// answers it with 429 and Retry-After.
var ErrRateLimited = errors.New("pam: local rate limit reached")

// maxLimiterWait caps the waits the limiter computes, so that a tiny rate
// cannot overflow a time.Duration.
const maxLimiterWait = 24 * time.Hour

// limiter is a token bucket: it holds up to burst grants and refills at
// rate grants per second. Grants may be reserved ahead, which drives tokens
// below zero; each reservation then waits for its turn. The GrantCache's
// mutex guards it.
type limiter struct {
	rate   float64 // grants per second, > 0
	burst  float64 // >= 1
	tokens float64 // grants available now; negative when reserved ahead
	last   time.Time
}

// newLimiter returns a full bucket at now.
func newLimiter(rate float64, burst int, now time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// reserve takes one grant at now and returns how long the caller must wait
// before sending it. When deadline is set and the wait would end after it,
// reserve takes nothing and returns the wait with ok false.
func (l *limiter) reserve(now, deadline time.Time) (wait time.Duration, ok bool) {
	if el := now.Sub(l.last); el > 0 {
		l.tokens = math.Min(l.burst, l.tokens+el.Seconds()*l.rate)
		l.last = now
	}
	if l.tokens < 1 {
		secs := math.Min((1-l.tokens)/l.rate, maxLimiterWait.Seconds())
		wait = time.Duration(math.Ceil(secs * float64(time.Second)))
	}
	if !deadline.IsZero() && now.Add(wait).After(deadline) {
		return wait, false
	}
	l.tokens--
	return wait, true
}

// rateLimitError is ErrRateLimited with the wait the caller could not
// afford, which [TokenHandler] turns into Retry-After.
type rateLimitError struct {
	wait time.Duration
	rate float64
}

func (e *rateLimitError) Error() string {
	return fmt.Sprintf("pam: grant token: local rate limit reached: the next grant may be sent in %v, after the context's deadline; retry later or raise CacheConfig.GrantsPerSecond (now %g)",
		e.wait.Round(time.Millisecond), e.rate)
}

func (e *rateLimitError) Unwrap() error { return ErrRateLimited }

// retryAfter is the wait in whole seconds, at least 1, for a Retry-After
// header.
func (e *rateLimitError) retryAfter() int64 {
	return max(1, int64(math.Ceil(e.wait.Seconds())))
}
