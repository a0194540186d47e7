package authz

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pamkit/pam/internal/authz/authztest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type maps = [Types]map[string]uint32

// forged returns n channel patterns like "17.{0,1000}~", each over the
// program limit, as a forged token carries them.
func forged(format string, n int) *maps {
	m := make(map[string]uint32, n)
	for i := range n {
		m[fmt.Sprintf(format, i)] = 3
	}
	return &maps{m}
}

func TestAllows(t *testing.T) {
	t.Parallel()
	res := map[string]uint32{"room-ro": 1, "both": 3}
	pats := &maps{{`^room-.*$`: 3, `^lobby-[0-9]+$`: 1, `(`: 2}, {`^g-.*$`: 1}, nil}
	s := Build(new(Cache), pats)
	tests := []struct {
		t    int
		name string
		want uint32
		ok   bool
	}{
		{0, "room-1", 2, true},
		{0, "room-ro", 2, false}, // the exact entry decides
		{0, "room-ro", 1, true},
		{0, "both", 3, true},
		{0, "lobby-7", 1, true},
		{0, "lobby-7", 3, false},
		{0, "lobby-x", 1, false},
		{0, "xroom-1", 2, false},
		{0, "(", 2, false}, // an invalid pattern never matches
		{0, "room-1", 0, false},
		{1, "g-1", 1, true},
		{1, "room-1", 1, false}, // patterns of another type
		{2, "room-1", 1, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.ok, Allows(s, tc.t, res, pats[tc.t], tc.name, tc.want), "%d %q %d", tc.t, tc.name, tc.want)
	}
	es := s.Entries(0)
	require.Len(t, es, 3)
	assert.Equal(t, []string{`(`, `^lobby-[0-9]+$`, `^room-.*$`}, []string{es[0].Source(), es[1].Source(), es[2].Source()})
	assert.Equal(t, []Status{Invalid, OK, OK}, []Status{es[0].Status(), es[1].Status(), es[2].Status()})
	assert.Equal(t, "lobby-", es[1].Prefix())
	assert.Equal(t, `^room-.*$`, Match(s, 0, pats[0], "room-9", 2).Source())
}

// TestForgedToken: a token of 1,200 patterns over the program limit costs
// little to judge, and nothing of it is compiled or matched.
func TestForgedToken(t *testing.T) {
	t.Parallel()
	m := forged("%d.{0,1000}~", 1200)
	var s *Set
	bytes := authztest.Allocated(func() { s = Build(new(Cache), m) })
	assert.Less(t, bytes, uint64(8<<20), "first build allocated %d bytes", bytes)
	assert.True(t, s.Over())
	for _, e := range s.Entries(0) {
		require.Equal(t, TooComplex, e.Status(), e.Source())
		require.Nil(t, e.p.re, "nothing is compiled")
		require.Nil(t, e.p.fast)
		require.Error(t, e.Err())
	}
	assert.False(t, Allows(s, 0, nil, m[0], "7~", 1))
}

// TestTokenBudget: patterns each within the limits, over MaxTokenCost
// together, are all too complex; analysis stops soon after the budget is
// spent, and nothing is compiled.
func TestTokenBudget(t *testing.T) {
	t.Parallel()
	m := forged("%04d.{0,400}~", 1200) // 806 instructions each
	var s *Set
	bytes := authztest.Allocated(func() { s = Build(new(Cache), m) })
	assert.Less(t, bytes, uint64(16<<20), "first build allocated %d bytes", bytes)
	assert.True(t, s.Over())
	analyzed := 0
	for _, e := range s.Entries(0) {
		require.Equal(t, TooComplex, e.Status())
		require.Nil(t, e.p.re)
		if e.p.prog > 0 {
			analyzed++
		}
	}
	assert.Equal(t, MaxTokenCost/(806+14)+1, analyzed, "analysis stops at the first pattern over the budget")
	assert.False(t, Allows(s, 0, nil, m[0], "0001xy~", 1))

	// The same patterns, few enough, are matched.
	small := forged("%04d.{0,400}~", 10)
	s = Build(new(Cache), small)
	assert.False(t, s.Over())
	assert.True(t, Allows(s, 0, nil, small[0], "0001xy~", 1))
}

// TestStatusIndependentOfOrder: a Set judges the same patterns the same way
// whatever the map order or the Cache's history.
func TestStatusIndependentOfOrder(t *testing.T) {
	t.Parallel()
	m := forged("%04d.{0,300}~", 40) // 606 instructions each: over together
	c := new(Cache)
	a := Build(c, m)
	Build(c, forged("%04d.{0,300}~", 5)) // analyzes some, in another Set
	b := Build(c, m)
	assert.True(t, a.Over())
	assert.Equal(t, a, b)
}

// TestCurrentFollowsEdits: a TokenCache rebuilds its Set when the keys of
// the maps change, and only then, so that a caller who edits them gets
// right answers.
func TestCurrentFollowsEdits(t *testing.T) {
	t.Parallel()
	c := new(TokenCache)
	m := &maps{{`^a-.*$`: 2}, {}, nil}
	s1 := Current(c, m)
	assert.True(t, Allows(s1, 0, nil, m[0], "a-1", 2))
	assert.Same(t, s1, Current(c, m), "unchanged maps reuse the Set")

	m[0][`^a-.*$`] = 1 // bits are read from the maps
	assert.Same(t, s1, Current(c, m))
	assert.False(t, Allows(Current(c, m), 0, nil, m[0], "a-1", 2))

	m[0][`^b-.*$`] = 2 // a pattern added
	s2 := Current(c, m)
	assert.NotSame(t, s1, s2)
	assert.True(t, Allows(s2, 0, nil, m[0], "b-1", 2))

	delete(m[0], `^a-.*$`) // one removed and one added: same length
	m[0][`^c-.*$`] = 2
	s3 := Current(c, m)
	assert.NotSame(t, s2, s3)
	assert.True(t, Allows(s3, 0, nil, m[0], "c-1", 2))
	assert.False(t, Allows(s3, 0, nil, m[0], "a-1", 1))

	m[1][`^a-.*$`] = 1 // another type's map
	s4 := Current(c, m)
	assert.NotSame(t, s3, s4)
	assert.True(t, Allows(s4, 1, nil, m[1], "a-1", 1))

	// Edits that push the token over the budget are seen too.
	for k := range forged("%04d.{0,400}~", 20)[0] {
		m[0][k] = 2
	}
	assert.True(t, Current(c, m).Over())
	assert.False(t, Allows(Current(c, m), 0, nil, m[0], "c-1", 2))

	assert.False(t, Allows(Current(c, m), 1, nil, m[1], "a-1", 1), "the budget is the token's, over all types")

	lit := &maps{nil, {`^a-.*$`: 1}}
	assert.True(t, Allows(Current(nil, lit), 1, nil, lit[1], "a-1", 1), "no TokenCache: a Set each call")
}

// TestCurrentConcurrent: many goroutines share a TokenCache while the maps
// they pass differ; run with -race.
func TestCurrentConcurrent(t *testing.T) {
	t.Parallel()
	c := new(TokenCache)
	one := &maps{{`^a-.*$`: 2}}
	two := &maps{{`^a-.*$`: 2, `^b-[0-9]+$`: 2}}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := one
			if g%2 == 1 {
				m = two
			}
			for range 200 {
				s := Current(c, m)
				if !Allows(s, 0, nil, m[0], "a-1", 2) || Allows(s, 0, nil, m[0], "b-1", 2) != (m == two) {
					t.Error("wrong answer under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestAllowsNoAllocations: once the Set is built, deciding on a pattern
// allocates nothing.
func TestAllowsNoAllocations(t *testing.T) {
	c := new(TokenCache)
	res := map[string]uint32{"room-1": 3}
	m := &maps{{`^room-[0-9]+$`: 3, `^lobby-.*$`: 1}}
	Current(c, m)
	allocs := testing.AllocsPerRun(1000, func() {
		if !Decide(c, m, 0, res, "room-42", 2) {
			t.Fatal("denied")
		}
	})
	assert.Zero(t, allocs)
}

func TestCacheBound(t *testing.T) {
	t.Parallel()
	c := new(Cache)
	first := c.patterns([]string{"a"})[0]
	assert.Same(t, first, c.patterns([]string{"a"})[0])
	srcs := make([]string, maxCached)
	for i := range srcs {
		srcs[i] = fmt.Sprint("p", i)
	}
	c.patterns(srcs)
	assert.LessOrEqual(t, len(c.m), maxCached)
	assert.NotSame(t, first, c.patterns([]string{"a"})[0], "a full cache starts again")

	// Costly patterns fill it sooner: 20 tokens of 12 patterns of about
	// 820 units each are 196,800 units, over maxCacheUnits.
	c = new(Cache)
	kept := Build(c, forged("%04d.{0,400}~", 12))
	require.False(t, kept.Over())
	for i := range 20 {
		Build(c, forged(fmt.Sprintf("%02d-%%02d.{0,400}~", i), 12))
	}
	assert.LessOrEqual(t, c.units, maxCacheUnits+MaxTokenCost)
	assert.NotContains(t, c.m, "0000.{0,400}~", "the first patterns were forgotten")
	assert.True(t, Allows(kept, 0, nil, forged("%04d.{0,400}~", 12)[0], "0001x~", 1), "a Set keeps its patterns")
}
