package authz

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/pamkit/pam/internal/authz/authztest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    Status
		says    string
	}{
		{`^room-[0-9]+$`, OK, ""},
		{`^[a-zA-Z0-9_-]{1,92}$`, OK, ""},
		{`1.{0,400}~`, OK, ""},
		{`(?i)^room-[a-z0-9]+$`, OK, ""},
		{`(?i)\pL+`, OK, ""},
		{`(?i)[\x00-\x{10FFFF}]`, OK, ""}, // the whole range is not folded
		{`(`, Invalid, "missing closing )"},
		{`a**`, Invalid, "invalid nested repetition operator"},
		{`^(?!admin).*$`, Invalid, "invalid or unsupported Perl syntax"},
		{`1.{0,1000}~`, TooComplex, "more than 2000 instructions"},
		{`.{0,600}`, TooComplex, "needs 1204 instructions, over the limit of 1000"},
		{`(?:(?:abc){10}){90}`, TooComplex, "more than 2000 instructions"},
		{strings.Repeat("a", MaxPatternLen+1), TooComplex, "1025 bytes long"},
		{`(?i)[\x00-\x{1E942}]`, TooComplex, "too costly to parse"},
		{`(?i)[\x{4E00}-\x{9FFF}]`, TooComplex, "too costly to parse"},
		{strings.Repeat(`\pL`, 8), TooComplex, "too costly to parse"},
	}
	for _, tc := range tests {
		t.Run(tc.pattern[:min(len(tc.pattern), 40)], func(t *testing.T) {
			t.Parallel()
			st, err := Check(tc.pattern)
			assert.Equal(t, tc.want, st)
			if tc.says == "" {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.says)
			}
		})
	}
}

func TestParseCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    int
	}{
		{`^room-[0-9]+$`, 13},
		{`(?i)^room-[0-9]+$`, 17},                   // 0-9 lies below the folded runes
		{`(?i)^room-[a-z]+$`, 17 + 1},               // 26 runes folded
		{`\pL`, 3 + unicodeClassCost},               // a Unicode class
		{`[\p{Greek}\d]`, 13 + unicodeClassCost},    // one in a class
		{`\Q\pL\E`, 7},                              // quoted: literal text
		{`(?i)[\x{100}-\x{1100}]`, 22 + 0x1001/16},  // folded range
		{`[\x{100}-\x{1100}]`, 18},                  // not folded: cheap
		{`(?i)[[:alpha:]-\x{1100}]`, 24},            // a POSIX class is no range end
		{`(?-i)[\x{100}-\x{1100}]`, 23 + 0x1001/16}, // errs high on any i flag
		{`(?i)[\0-\101]`, 13},                       // octal escapes: one folded rune, under a unit
		{`(?i)[a-\x{zz}]`, 14 + (foldHi-'a'+1)/16},  // not understood: the worst
		{`(?i)[a-`, 7},                              // unterminated: no range
		{`(?i)[]-a]`, 9},                            // "]" first is a literal: ]-a spans 0x5D..0x61
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, parseCost(tc.pattern), tc.pattern)
	}
}

// TestProgEstimate: the estimate is never below the measured program, and
// equals it on plain patterns.
func TestProgEstimate(t *testing.T) {
	t.Parallel()
	for _, c := range authztest.Cases(7, 500) {
		p := newPattern(c.Pattern)
		p.analyze()
		require.Equal(t, OK, p.status)
		assert.GreaterOrEqual(t, progEstimate(anchor(mustParse(t, c.Pattern)), 1<<30), p.prog, c.Pattern)
	}
	tests := []struct {
		src           string
		measured, est int
	}{
		{`^room-[0-9]+$`, 11, 11},
		{`a{2,5}`, 10, 10},
		{`(?:a|b)c`, 4, 4},
		{`(?:ab|cd)*`, 8, 9}, // a star may take one instruction less
		{`(a)`, 5, 5},
		{`(?:x{0}){100}`, 102, 102},
		{`a{3,}`, 6, 6},
	}
	for _, tc := range tests {
		re := mustParse(t, tc.src)
		prog, err := syntax.Compile(re.Simplify())
		require.NoError(t, err)
		assert.Equal(t, tc.measured, len(prog.Inst), tc.src)
		assert.Equal(t, tc.est, progEstimate(re, 1<<30), tc.src)
	}
	assert.Equal(t, 101, progEstimate(mustParse(t, `(?:(?:abcdef){10}){90}`), 100), "saturates")
}

func mustParse(t testing.TB, src string) *syntax.Regexp {
	t.Helper()
	re, err := syntax.Parse(src, syntax.Perl)
	require.NoError(t, err)
	return re
}

// BenchmarkParseCost measures syntax.Parse on what the cost weights are
// for, reporting nanoseconds per unit of estimated cost: the weights hold
// while it stays under about 1000.
func BenchmarkParseCost(b *testing.B) {
	for _, src := range []string{
		`(?i)[\x{4E00}-\x{9FFF}]`, `(?i)\P{Lo}`, `(?i)[\pL\pN]`, `\p{Cn}`, `(?i)[a-zA-Z0-9]{1,92}`,
		strings.Repeat("a", 1000), strings.Repeat(`(?:a|b)`, 100),
	} {
		cost := parseCost(src)
		b.Run(fmt.Sprintf("cost=%d/%.20s", cost, src), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := syntax.Parse(src, syntax.Perl); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(cost), "ns/unit")
		})
	}
}
