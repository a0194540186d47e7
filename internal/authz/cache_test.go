package authz

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
