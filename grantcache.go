package pam

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Granter mints tokens. *[Client] and *[GrantCache] both satisfy it, so a
// [TokenHandler], or any code of yours that grants, takes either.
type Granter interface {
	GrantToken(ctx context.Context, r *TokenRequest) (string, error)
}

// defaultMaxEntries is the number of tokens a GrantCache keeps when
// CacheConfig.MaxEntries is 0.
const defaultMaxEntries = 10_000

// CacheConfig configures a [GrantCache]. The zero value is ready to use.
type CacheConfig struct {
	// MinRemaining: a cached token is handed out only while at least this
	// much of its life remains; after that the next call grants a new one.
	// 0 means half of the token's ttl. A MinRemaining at or above a
	// request's ttl means its tokens are never handed out twice (identical
	// calls in flight still share one grant).
	MinRemaining time.Duration
	// MaxEntries bounds the number of tokens kept: beyond it the least
	// recently used one is dropped. 0 means 10,000.
	MaxEntries int
	// GrantsPerSecond limits the grants the cache sends to the service (a
	// token bucket; the service throttles a keyset past about 25 grants per
	// second). Callers past the limit wait, as long as their context
	// allows; one whose context cannot wait long enough fails at once with
	// an error matching [ErrRateLimited]. 0 means no limit.
	GrantsPerSecond float64
	// Burst is how many grants may be sent at once under GrantsPerSecond.
	// 0 means 1.
	Burst int
}

// CacheStats counts what a [GrantCache] did since it was made.
type CacheStats struct {
	// Hits: calls answered with a cached token.
	Hits uint64
	// Misses: calls that found no usable token and no grant in flight, and
	// so started a grant (or were refused by the rate limit).
	Misses uint64
	// Shared: calls that joined a grant in flight.
	Shared uint64
	// Grants: grants sent to the service.
	Grants uint64
	// Errors: grants that failed, and calls refused by the rate limit.
	// Invalid requests fail before the cache and are not counted.
	Errors uint64
	// Evictions: tokens dropped to stay within MaxEntries.
	Evictions uint64
	// Entries: tokens held now.
	Entries int
}

// GrantCache sits in front of [Client.GrantToken]: identical grant
// requests share one token while enough of its life remains
// ([CacheConfig.MinRemaining]), and identical requests in flight share one
// call to the service. Use it where many callers ask for the same token,
// such as a token endpoint ([TokenHandler]) that a fleet of devices
// refreshes from. It is safe for concurrent use.
//
// Two requests are identical when their request bodies are: the same ttl,
// resources, patterns, meta and authorized uuid, in whatever order they
// were added. The cache keys tokens by a SHA-256 of that body, so it holds
// no secret, and keeps at most [CacheConfig.MaxEntries] of them, each about
// 240 bytes of bookkeeping besides the token itself.
//
// Requests are validated before the cache is consulted, as
// [Client.GrantToken] validates them. Errors are never cached. A shared
// grant runs on its own context, detached from its callers' cancellation
// (their values are kept) and bounded by the client's HTTP timeout and
// retry policy: a caller whose context ends is released at once, and the
// grant goes on for the others and for the cache.
//
// Token lifetimes are read from the tokens themselves and checked against
// the client's clock ([WithClock]), corrected by any offset it has learnt
// from the service.
//
// Revoke tokens the cache handed out with [GrantCache.RevokeToken]:
// revoking through the [Client] does not reach the cache, which would go on
// handing the token out. The service may take up to 60 seconds to enforce
// a revocation everywhere.
type GrantCache struct {
	c            *Client
	minRemaining time.Duration
	maxEntries   int
	grantBound   time.Duration                                    // how long a shared grant may take, rate-limit wait aside
	sleep        func(ctx context.Context, d time.Duration) error // waits in a flight; tests replace it

	mu        sync.Mutex // guards the fields below
	entries   map[cacheKey]*cacheEntry
	byToken   map[string]*cacheEntry // the same entries, by token, for RevokeToken
	lru       lruList
	flights   map[cacheKey]*flight
	revoked   map[cacheKey]time.Time // hash of a token revoked through the cache → when to forget it
	lim       *limiter               // nil without GrantsPerSecond
	limRate   float64                // GrantsPerSecond, for error messages
	stats     CacheStats             // Entries unused
	lastPrune time.Time              // of revoked
}

// cacheKey is the SHA-256 of a grant body (or, in revoked, of a token).
type cacheKey [sha256.Size]byte

// cacheEntry is one cached token, and its place in the LRU list.
type cacheEntry struct {
	key        cacheKey
	token      string
	expires    time.Time // from the token: issued at plus ttl
	fresh      time.Time // handed out until then: expires minus MinRemaining
	prev, next *cacheEntry
}

// NewGrantCache returns a cache in front of c, which must hold the secret
// and publish keys. It reports every invalid field of cfg at once.
func NewGrantCache(c *Client, cfg CacheConfig) (*GrantCache, error) {
	const op = "NewGrantCache"
	if c == nil {
		return nil, optionError(op, "the client is nil; pass the *pam.Client that grants tokens")
	}
	if problems := append(c.keyProblems(), cfg.problems()...); len(problems) > 0 {
		return nil, opErrs(op, problems)
	}
	g := &GrantCache{
		c:            c,
		minRemaining: cfg.MinRemaining,
		maxEntries:   cfg.MaxEntries,
		grantBound:   grantBound(c),
		sleep:        sleepContext,
		entries:      make(map[cacheKey]*cacheEntry),
		byToken:      make(map[string]*cacheEntry),
		flights:      make(map[cacheKey]*flight),
		revoked:      make(map[cacheKey]time.Time),
	}
	if g.maxEntries == 0 {
		g.maxEntries = defaultMaxEntries
	}
	if cfg.GrantsPerSecond > 0 {
		g.lim = newLimiter(cfg.GrantsPerSecond, max(cfg.Burst, 1), time.Now())
		g.limRate = cfg.GrantsPerSecond
	}
	return g, nil
}

// problems returns every invalid field of the configuration.
func (cfg CacheConfig) problems() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if cfg.MinRemaining < 0 {
		bad("CacheConfig.MinRemaining is %v; pass 0 (half the ttl) or a positive duration", cfg.MinRemaining)
	}
	if cfg.MaxEntries < 0 {
		bad("CacheConfig.MaxEntries is %d; pass 0 (10,000) or a positive number", cfg.MaxEntries)
	}
	if r := cfg.GrantsPerSecond; r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		bad("CacheConfig.GrantsPerSecond is %v; pass 0 (no limit) or a positive number, e.g. 20", r)
	}
	if cfg.Burst < 0 {
		bad("CacheConfig.Burst is %d; pass 0 (1) or a positive number", cfg.Burst)
	}
	if cfg.Burst > 0 && cfg.GrantsPerSecond == 0 {
		bad("CacheConfig.Burst is %d but GrantsPerSecond is 0 (no limit); set GrantsPerSecond or leave Burst 0", cfg.Burst)
	}
	return errs
}

// grantBound is how long one grant may take with c: every attempt its
// HTTP timeout plus the longest backoff, or a minute when the HTTP client
// has no timeout.
func grantBound(c *Client) time.Duration {
	if c.hc.Timeout <= 0 {
		return time.Minute
	}
	n := time.Duration(max(c.retry.MaxAttempts, 1))
	return n*c.hc.Timeout + (n-1)*c.retry.MaxBackoff
}

// GrantToken returns a cached token for r while at least MinRemaining of
// its life remains; otherwise it joins the identical grant in flight, or
// starts one. It validates r first, as [Client.GrantToken] does, and
// returns the same errors; a caller refused by the rate limit gets an error
// matching [ErrRateLimited], and one whose context ends while it waits gets
// the context's error at once.
func (g *GrantCache) GrantToken(ctx context.Context, r *TokenRequest) (string, error) {
	tok, _, err := g.grant(ctx, r)
	return tok, err
}

// opGrant names GrantCache.GrantToken in its errors, as it does
// Client.GrantToken.
const opGrant = "grant token"

// grant is GrantToken, also returning when the token expires.
func (g *GrantCache) grant(ctx context.Context, r *TokenRequest) (string, time.Time, error) {
	if ctx == nil {
		return "", time.Time{}, opErr(opGrant, errors.New("nil context; pass context.Background() or a request context"))
	}
	var buf [512]byte
	key, body, problems := requestKey(r, buf[:0])
	if len(problems) > 0 {
		return "", time.Time{}, opErrs(opGrant, problems)
	}
	now := g.c.serverNow()
	g.mu.Lock()
	if e := g.entries[key]; e != nil && !now.After(e.fresh) {
		g.lru.moveToFront(e)
		g.stats.Hits++
		tok, exp := e.token, e.expires
		g.mu.Unlock()
		return tok, exp, nil
	}
	f := g.flights[key]
	var err error
	if f != nil {
		g.stats.Shared++
	} else if f, err = g.startLocked(ctx, key, body); err != nil {
		g.mu.Unlock()
		return "", time.Time{}, err
	}
	g.mu.Unlock()
	return g.wait(ctx, f)
}

// requestKey validates r and returns the key of its body, and the body,
// built in buf; or what is wrong with r.
func requestKey(r *TokenRequest, buf []byte) (cacheKey, []byte, []error) {
	if r == nil {
		return cacheKey{}, nil, []error{errNilRequest()}
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	if problems := r.validate(es, ms); len(problems) > 0 {
		return cacheKey{}, nil, problems
	}
	body := r.appendBody(buf, es, ms)
	return sha256.Sum256(body), body, nil
}

// RevokeToken revokes token with [Client.RevokeToken] and makes the cache
// forget it: it is never handed out again, even if a later identical grant
// is answered with the very same token, as the emulator does (and the
// service may) within the second the token was issued; the cache then waits
// for the next second and grants again. The token is forgotten before the
// service is asked, and stays forgotten if that fails.
//
// Revoking with [Client.RevokeToken] directly does not reach the cache.
// The service may take up to 60 seconds to enforce a revocation.
func (g *GrantCache) RevokeToken(ctx context.Context, token string) error {
	if t := wireToken(token); t != "" {
		g.forget(t)
	}
	return g.c.RevokeToken(ctx, token)
}

// revokedMemory is how long after its issue time a token revoked through
// the cache is remembered: the service mints the same token for an
// identical grant only within the second it was issued, and the client's
// estimate of the service's clock is off by far less than this.
const revokedMemory = 5 * time.Minute

// forget drops token from the cache and remembers that it is revoked.
func (g *GrantCache) forget(token string) {
	now := g.c.serverNow()
	until := now.Add(revokedMemory)
	if t, err := parseToken(token); err == nil {
		until = t.IssuedAt.Add(revokedMemory)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.byToken[token]; e != nil {
		g.removeLocked(e)
	}
	if now.Sub(g.lastPrune) > revokedMemory || now.Before(g.lastPrune) {
		for k, u := range g.revoked {
			if now.After(u) {
				delete(g.revoked, k)
			}
		}
		g.lastPrune = now
	}
	g.revoked[sha256.Sum256([]byte(token))] = until
}

// isRevokedLocked reports whether token was revoked through the cache.
func (g *GrantCache) isRevokedLocked(token string) bool {
	if len(g.revoked) == 0 {
		return false
	}
	_, ok := g.revoked[sha256.Sum256([]byte(token))]
	return ok
}

// Stats returns what the cache has done so far.
func (g *GrantCache) Stats() CacheStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.Entries = len(g.entries)
	return s
}

// storeLocked caches a token for key, dropping the least recently used
// entries beyond MaxEntries.
func (g *GrantCache) storeLocked(key cacheKey, token string, t *Token) {
	minRemaining := g.minRemaining
	if minRemaining == 0 {
		minRemaining = t.TTL / 2
	}
	e := g.entries[key]
	if e == nil {
		e = &cacheEntry{key: key}
		g.entries[key] = e
		g.lru.pushFront(e)
	} else {
		delete(g.byToken, e.token)
		g.lru.moveToFront(e)
	}
	e.token, e.expires, e.fresh = token, t.ExpiresAt(), t.ExpiresAt().Add(-minRemaining)
	g.byToken[token] = e
	for len(g.entries) > g.maxEntries {
		g.removeLocked(g.lru.tail)
		g.stats.Evictions++
	}
}

// removeLocked drops an entry.
func (g *GrantCache) removeLocked(e *cacheEntry) {
	g.lru.remove(e)
	delete(g.entries, e.key)
	delete(g.byToken, e.token)
}

// lruList is a doubly linked list of entries, most recently used first.
type lruList struct{ head, tail *cacheEntry }

func (l *lruList) pushFront(e *cacheEntry) {
	e.prev, e.next = nil, l.head
	if l.head != nil {
		l.head.prev = e
	} else {
		l.tail = e
	}
	l.head = e
}

func (l *lruList) remove(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (l *lruList) moveToFront(e *cacheEntry) {
	if l.head != e {
		l.remove(e)
		l.pushFront(e)
	}
}

var (
	_ Granter = (*Client)(nil)
	_ Granter = (*GrantCache)(nil)
)
