package pam

import (
	"math"
	"time"
)

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
