package authz

import (
	"regexp"
	"testing"

	"github.com/pamkit/pam/internal/authz/authztest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference is the definition of a whole-name match: the pattern, compiled
// as it is, has a leftmost-longest match that spans all of name. valid is
// false if the pattern does not compile.
func reference(src, name string) (matched, valid bool) {
	re, err := regexp.Compile(src)
	if err != nil {
		return false, false
	}
	re.Longest()
	loc := re.FindStringIndex(name)
	return loc != nil && loc[0] == 0 && loc[1] == len(name), true
}

// matchOne analyzes and compiles src alone and matches name.
func matchOne(t testing.TB, src, name string) bool {
	t.Helper()
	p := newPattern(src)
	p.analyze()
	require.Equal(t, OK, p.status, "%q: %v", src, p.err)
	p.compile()
	require.True(t, p.compiled(), src)
	return p.match(name)
}

func TestWholeNameMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{`room-.*`, "room-1", true},
		{`room-.*`, "xroom-1", false},
		{`room`, "my-room-2", false},
		{`^room-[0-9]+$`, "room-42", true},
		{`^room-[0-9]+$`, "room-42x", false},
		{`a|b`, "b", true},
		{`a|b`, "ab", false},
		{`^a|b$`, "ab", false},
		{`(?:a|ab)(?:c|bcd)`, "abcd", true},
		{`\Qroom.1`, "room.1", true},
		{`^\Qroom.1`, "room.1", true},
		{`\Qroom.1`, "roomx1", false},
		{`\Qroom.1`, "room.1)", false},
		{`\Qroom.1\E`, "room.1", true},
		{`\Qa)|(?:.*`, "a)|(?:.*", true},
		{`\Qa)|(?:.*`, "b", false},
		{`a\Q`, "a", true},
		{`(?i)room`, "ROOM", true},
		{`(?i)room`, "ROOMs", false},
		{`(?i:r)oom`, "Room", true},
		{`(?i:r)oom`, "ROOM", false},
		{`(?m)^a$`, "a\nb", false},
		{`(?m)^a$\n^b$`, "a\nb", true},
		{`(?s).*`, "a\nb", true},
		{`.*`, "a\nb", false},
		{`(?U)a+`, "aaa", true},
		{`a+?`, "aaa", true},
		{``, "", true},
		{``, "a", false},
		{`\b`, "", false},
		{`[[:alpha:]]+`, "abc", true},
		{`\pL+`, "ünïcode", true},
		{`[^a]`, "ü", true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+" "+tc.name, func(t *testing.T) {
			t.Parallel()
			want, valid := reference(tc.pattern, tc.name)
			require.True(t, valid)
			require.Equal(t, tc.want, want, "the table disagrees with the definition")
			assert.Equal(t, tc.want, matchOne(t, tc.pattern, tc.name))
		})
	}
}

// TestMatchAgreesWithDefinition: on 2,000 random patterns and names the
// engine agrees with the definition of a whole-name match.
func TestMatchAgreesWithDefinition(t *testing.T) {
	t.Parallel()
	matched := 0
	for _, c := range authztest.Cases(12, 2000) {
		want, valid := reference(c.Pattern, c.Name)
		require.True(t, valid, c.Pattern)
		require.Equal(t, want, matchOne(t, c.Pattern, c.Name), "pattern %q, name %q", c.Pattern, c.Name)
		if want {
			matched++
		}
	}
	assert.Greater(t, matched, 500, "the cases should match often enough to test matching")
	assert.Less(t, matched, 1500, "the cases should fail often enough to test refusing")
}

func TestCloseQuote(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`abc`: "", `\Qabc`: `\E`, `\Qabc\E`: "", `\Qa\Eb\Qc`: `\E`, `\\Q`: "", `\Q\\E`: "",
		`a\Q`: `\E`, `\Qa\`: `\E`, `[\\]\Qx`: `\E`,
	} {
		assert.Equal(t, want, closeQuote(src), src)
	}
}

func TestLiteralPrefix(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`^room-[0-9]+$`: "room-", `room-.*`: "room-", `\Aroom`: "room", `(?i)room`: "",
		`(?:room|lobby)-1`: "", `\Qroom.1`: "room.1", `.*room`: "", `(?m)^ab`: "ab",
	} {
		p := newPattern(src)
		p.analyze()
		assert.Equal(t, want, p.prefix, src)
	}
}

// FuzzWholeName: for any pattern and name, the engine either refuses the
// pattern (invalid or too complex) or agrees with the definition of a
// whole-name match; the program estimate is never below the measured size.
func FuzzWholeName(f *testing.F) {
	for _, c := range authztest.Cases(1, 40) {
		f.Add(c.Pattern, c.Name)
	}
	f.Add(`\Qroom.1`, "room.1")
	f.Add(`a|b`, "ab")
	f.Add(`(?i)[a-z]{2,5}`, "QxZ")
	f.Add(`.{0,1000}`, "x")
	f.Add(`^room-[0-9]+$`, "room-42")
	f.Add(`^a(?s:.)*b$`, "a\nb")
	f.Add(`^\x{FFFD}$`, "\xff")
	f.Fuzz(func(t *testing.T, src, name string) {
		p := newPattern(src)
		p.analyze()
		if p.status != OK {
			return
		}
		assert.LessOrEqual(t, p.prog, MaxPatternProg)
		if est := progEstimate(anchor(mustParse(t, src)), 1<<30); est < p.prog {
			t.Fatalf("pattern %q: estimate %d is below the measured %d instructions", src, est, p.prog)
		}
		want, valid := reference(src, name)
		if !valid {
			t.Fatalf("pattern %q is OK for the engine but does not compile", src)
		}
		p.compile()
		if got := p.match(name); got != want {
			t.Fatalf("pattern %q, name %q: engine says %v, definition %v", src, name, got, want)
		}
	})
}
