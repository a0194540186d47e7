package authz

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Types is the number of resource types whose patterns a token's Set
// holds, by index: channels, channel groups and uuids.
const Types = 3

// errTokenCost is why every pattern of a token over MaxTokenCost is too
// complex.
var errTokenCost = errors.New("the token's patterns cost more than " + strconv.Itoa(MaxTokenCost) +
	" units to parse and compile together, over the limit")

// Set is the patterns of one token, judged together: sorted by text for
// each resource type, analyzed and, unless they are over MaxTokenCost
// together, compiled. A Set never changes once built.
type Set struct {
	entries [Types][]Entry
	over    bool
}

// Entry is one pattern of a Set, with its status in that Set.
type Entry struct {
	p      *Pattern
	status Status
	err    error
	prefix string
}

// Source returns the pattern text.
func (e *Entry) Source() string { return e.p.src }

// Status says whether the pattern is matched: OK, or why not.
func (e *Entry) Status() Status { return e.status }

// Err says why the pattern is Invalid or TooComplex; nil when OK.
func (e *Entry) Err() error { return e.err }

// Prefix returns the literal text every match starts with (after any ^),
// when the pattern parsed.
func (e *Entry) Prefix() string { return e.prefix }

// Match reports whether the pattern matches all of name; false unless its
// status is OK.
func (e *Entry) Match(name string) bool { return e.status == OK && e.p.match(name) }

// Over reports whether the token's patterns are over MaxTokenCost together,
// so that none is matched.
func (s *Set) Over() bool { return s.over }

// Entries returns the patterns of resource type t, sorted by text.
func (s *Set) Entries(t int) []Entry { return s.entries[t] }

// Build judges the patterns of maps (one map per resource type), taking
// the analyzed patterns from c and adding the new ones to it.
func Build[P any](c *Cache, maps *[Types]map[string]P) *Set {
	var all []string
	for _, m := range maps {
		for k := range m {
			all = append(all, k)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	ps := c.patterns(all)
	analyzed, ok := admit(ps)
	c.charge(ps[:analyzed])
	s := &Set{over: !ok}
	if ok {
		for _, p := range ps {
			if p.status == OK {
				p.compile()
			}
		}
	}
	for t, m := range maps {
		es := make([]Entry, 0, len(m))
		for k := range m {
			i, _ := slices.BinarySearch(all, k)
			es = append(es, s.entry(ps[i], i < analyzed))
		}
		slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.p.src, b.p.src) })
		s.entries[t] = es
	}
	return s
}

// entry gives p its status in s.
func (s *Set) entry(p *Pattern, analyzed bool) Entry {
	if !analyzed {
		return Entry{p: p, status: TooComplex, err: errTokenCost}
	}
	e := Entry{p: p, status: p.status, err: p.err, prefix: p.prefix}
	switch {
	case e.status != OK:
	case s.over:
		e.status, e.err = TooComplex, errTokenCost
	case !p.compiled(): // regexp refused what regexp/syntax accepted
		e.status, e.err = Invalid, errors.New("regexp cannot compile it")
	}
	return e
}

// admit analyzes ps in order while their cost stays within MaxTokenCost.
// It returns how many it analyzed, and false if the total went over.
func admit(ps []*Pattern) (analyzed int, ok bool) {
	total := 0
	for i, p := range ps {
		total += p.cost
		if total > MaxTokenCost {
			return i, false
		}
		p.analyze()
		total += p.prog
		if total > MaxTokenCost {
			return i + 1, false
		}
	}
	return len(ps), true
}

// Fresh reports whether s was built from the patterns now in maps: each
// map has the same keys as the Set's entries of its type.
func Fresh[P any](s *Set, maps *[Types]map[string]P) bool {
	for t, m := range maps {
		if !freshType(s.entries[t], m) {
			return false
		}
	}
	return true
}

func freshType[P any](es []Entry, m map[string]P) bool {
	if len(m) != len(es) {
		return false
	}
	for i := range es {
		if _, ok := m[es[i].p.src]; !ok {
			return false
		}
	}
	return true
}

// Allows reports whether a token allows want on name of resource type t:
// an exact entry in res decides when present; otherwise a pattern of type
// t that grants all of want in pats, is OK in s and matches all of name
// allows it. want 0 is never allowed.
func Allows[P ~uint32](s *Set, t int, res, pats map[string]P, name string, want P) bool {
	if allowed, decided := exact(res, name, want); decided {
		return allowed
	}
	return Match(s, t, pats, name, want) != nil
}

// Decide is Allows on the current Set of maps, which it builds or checks
// only when no exact entry decides.
func Decide[P ~uint32](c *TokenCache, maps *[Types]map[string]P, t int, res map[string]P, name string, want P) bool {
	if allowed, decided := exact(res, name, want); decided || len(maps[t]) == 0 {
		return allowed
	}
	allowed := false
	Scan(c, maps, t, func() { allowed = false }, func(e *Entry, bits P) bool {
		allowed = bits&want == want && e.Match(name)
		return allowed
	})
	return allowed
}

// Scan calls f on the patterns of type t, in text order, with their bits in
// maps[t], until f returns true, and returns the Set they belong to: the
// current Set of maps, as Current returns it, checked with one look-up per
// pattern of type t. If that Set turns out stale half way, Scan calls
// restart and starts again on a fresh one.
func Scan[P any](c *TokenCache, maps *[Types]map[string]P, t int, restart func(), f func(e *Entry, bits P) bool) *Set {
	var s *Set
	if c != nil {
		s = c.set.Load()
	}
	if s == nil || !freshExcept(s, maps, t) {
		s = Current(c, maps)
	}
	for !scan(s.entries[t], maps[t], f) {
		s = Current(c, maps) // fresh for maps: the next scan completes
		restart()
	}
	return s
}

// scan is one pass of Scan; false if a pattern of es is not in m.
func scan[P any](es []Entry, m map[string]P, f func(e *Entry, bits P) bool) bool {
	stopped := false
	for i := range es {
		bits, ok := m[es[i].p.src]
		if !ok {
			return false
		}
		if !stopped {
			stopped = f(&es[i], bits)
		}
	}
	return true
}

// freshExcept reports whether s is fresh for maps but for the keys of
// type t, whose count only it checks.
func freshExcept[P any](s *Set, maps *[Types]map[string]P, t int) bool {
	for u, m := range maps {
		if u == t && len(m) != len(s.entries[t]) || u != t && !freshType(s.entries[u], m) {
			return false
		}
	}
	return true
}

// exact decides by the exact entry for name, if there is one, or for a
// want of 0.
func exact[P ~uint32](res map[string]P, name string, want P) (allowed, decided bool) {
	if want == 0 {
		return false, true
	}
	if bits, ok := res[name]; ok {
		return bits&want == want, true
	}
	return false, false
}

// Match returns the first pattern of type t, in text order, that grants all
// of want in pats and matches all of name; nil if none does.
func Match[P ~uint32](s *Set, t int, pats map[string]P, name string, want P) *Entry {
	if s.over {
		return nil
	}
	es := s.entries[t]
	for i := range es {
		if pats[es[i].p.src]&want == want && es[i].Match(name) {
			return &es[i]
		}
	}
	return nil
}
