package pam

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// flight is one grant in progress, shared by every caller that asks for
// an identical token meanwhile.
type flight struct {
	done  chan struct{} // closed when the fields below are set
	start time.Time     // when the rate limit lets the grant go out
	token string
	exp   time.Time
	err   error
}

// maxReissues bounds how many times a flight grants again when the service
// answers with a token revoked through the cache.
const maxReissues = 2

// startLocked starts a grant of body for key, after the rate limit's wait,
// on a context detached from ctx's cancellation. It refuses a caller whose
// context has ended or cannot wait for the rate limit.
func (g *GrantCache) startLocked(ctx context.Context, key cacheKey, body []byte) (*flight, error) {
	if err := ctx.Err(); err != nil {
		return nil, opErr(opGrant, err)
	}
	g.stats.Misses++
	now := time.Now()
	var wait time.Duration
	if g.lim != nil {
		deadline, _ := ctx.Deadline()
		var ok bool
		if wait, ok = g.lim.reserve(now, deadline); !ok {
			g.stats.Errors++
			return nil, opErr(opGrant, &rateLimitError{wait: wait, rate: g.limRate})
		}
	}
	f := &flight{done: make(chan struct{}), start: now.Add(wait)}
	g.flights[key] = f
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait+g.grantBound)
	go g.run(fctx, cancel, key, f, slices.Clone(body), wait)
	return f, nil
}

// wait returns the flight's result, or fails at once when ctx cannot wait
// for the rate limit to let the grant go out, or ends first.
func (g *GrantCache) wait(ctx context.Context, f *flight) (string, time.Time, error) {
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(f.start) && time.Now().Before(f.start) {
		g.mu.Lock()
		g.stats.Errors++
		g.mu.Unlock()
		return "", time.Time{}, opErr(opGrant, &rateLimitError{wait: time.Until(f.start), rate: g.limRate})
	}
	select {
	case <-f.done:
		return f.token, f.exp, f.err
	case <-ctx.Done():
		return "", time.Time{}, opErr(opGrant, fmt.Errorf("%w (the shared grant goes on for the cache)", ctx.Err()))
	}
}

// run makes the flight's grant and publishes the result: a token is cached
// and handed to every waiter; an error is handed to them and not cached.
//
// Within the second a token was issued, an identical grant may be answered
// with the very same token (the emulator's tokens depend only on the grant
// and that second). If that token has been revoked through the cache
// meanwhile, run waits for the next second and grants again.
func (g *GrantCache) run(ctx context.Context, cancel context.CancelFunc, key cacheKey, f *flight, body []byte, wait time.Duration) {
	defer cancel()
	tok, t, err := g.send(ctx, body, wait)
	g.mu.Lock()
	for n := 0; err == nil && g.isRevokedLocked(tok); n++ {
		if n == maxReissues {
			err = opErr(opGrant, fmt.Errorf("the service answered %d times with a token revoked through the cache; retry in a few seconds", n+1))
			break
		}
		wait = max(t.IssuedAt.Add(time.Second).Sub(g.c.serverNow()), 100*time.Millisecond)
		if g.lim != nil {
			w, _ := g.lim.reserve(time.Now(), time.Time{})
			wait = max(wait, w)
		}
		g.mu.Unlock()
		tok, t, err = g.send(ctx, body, wait)
		g.mu.Lock()
	}
	delete(g.flights, key)
	if err != nil {
		g.stats.Errors++
	} else {
		g.storeLocked(key, tok, t)
		f.token, f.exp = tok, t.ExpiresAt()
	}
	f.err = err
	g.mu.Unlock()
	close(f.done)
}

// send waits, then grants body and parses the token the service returns.
func (g *GrantCache) send(ctx context.Context, body []byte, wait time.Duration) (string, *Token, error) {
	if err := g.sleep(ctx, wait); err != nil {
		return "", nil, opErr(opGrant, err)
	}
	g.mu.Lock()
	g.stats.Grants++
	g.mu.Unlock()
	tok, err := g.c.grantBody(ctx, body)
	if err != nil {
		return "", nil, err
	}
	t, err := parseToken(tok)
	if err != nil {
		return "", nil, opErr(opGrant, fmt.Errorf("the service answered with a token that does not parse (%w); check the origin points at PubNub", err))
	}
	return tok, t, nil
}
