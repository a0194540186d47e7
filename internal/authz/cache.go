package authz

import (
	"sync"
	"sync/atomic"
)

// Bounds on what a Cache holds: patterns, and their cost (parse cost plus
// program size; a compiled program keeps a few hundred bytes an
// instruction, so maxCacheUnits is some tens of megabytes at most).
const (
	maxCached     = 4096
	maxCacheUnits = 16 * MaxTokenCost
)

// Cache holds analyzed and compiled patterns by their text, for one token
// or one keyset. It is safe for concurrent use; the zero value is empty and
// ready. Past maxCached patterns, or maxCacheUnits of cost, it forgets them
// all and starts again.
type Cache struct {
	mu    sync.Mutex
	m     map[string]*Pattern
	units int
}

// patterns returns the Pattern of each text in srcs, creating the missing
// ones.
func (c *Cache) patterns(srcs []string) []*Pattern {
	out := make([]*Pattern, len(srcs))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(srcs) > maxCached || c.units > maxCacheUnits {
		c.m, c.units = make(map[string]*Pattern, len(srcs)), 0
	}
	for i, src := range srcs {
		p := c.m[src]
		if p == nil {
			p = newPattern(src)
			c.m[src] = p
		}
		out[i] = p
	}
	return out
}

// charge counts the cost of analyzed patterns, each once.
func (c *Cache) charge(ps []*Pattern) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		if !p.charged {
			p.charged = true
			c.units += p.cost + p.prog
		}
	}
}

// TokenCache is what one token keeps of its patterns: the Cache of the
// patterns it has seen, and the Set of its maps as they were last used. It
// is safe for concurrent use; the zero value is ready.
type TokenCache struct {
	mu    sync.Mutex
	cache Cache
	set   atomic.Pointer[Set]
}

// literals is the Cache of tokens that have no TokenCache.
var literals Cache

// Current returns the Set of maps: the one c holds if it is fresh, else a
// new one, which c then holds. With a nil c it builds a Set on every call,
// from a Cache shared by all such calls.
func Current[P any](c *TokenCache, maps *[Types]map[string]P) *Set {
	if c == nil {
		return Build(&literals, maps)
	}
	if s := c.set.Load(); s != nil && Fresh(s, maps) {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.set.Load(); s != nil && Fresh(s, maps) {
		return s
	}
	s := Build(&c.cache, maps)
	c.set.Store(s)
	return s
}
