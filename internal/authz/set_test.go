package authz

import (
	"fmt"
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
func TestForgedToken(t *testing.T) { //nolint:paralleltest // measures allocation, process-wide
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
func TestTokenBudget(t *testing.T) { //nolint:paralleltest // measures allocation, process-wide
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
