// Package authztest makes random grant patterns and names for the tests of
// the authorization engine and of what is built on it.
package authztest

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Case is a pattern and a name to check against it.
type Case struct{ Pattern, Name string }

// alphabet is what names are made of: letters of both cases (for (?i)),
// digits, and the metacharacters a pattern must escape.
const alphabet = "abcRoOm019.-_"

// Cases returns n cases made from seed, the same for the same seed. Every
// pattern is valid RE2, has no capturing group (its groups are all (?:...)
// or (?i:...)) and is a few dozen bytes, far within the engine's limits;
// about half the names match their pattern. The patterns mix
// anchored and unanchored forms, alternations, classes, \Q...\E (closed or
// left open at the end) and (?i) flags.
func Cases(seed uint64, n int) []Case {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // G404: reproducible test cases, not secrets
	out := make([]Case, 0, n)
	for len(out) < n {
		name := randomString(r, 1+r.IntN(8))
		pat := pattern(r, name)
		if _, err := syntax.Parse(pat, syntax.Perl); err != nil {
			continue
		}
		if r.IntN(2) == 0 {
			name = mutate(r, name)
		}
		out = append(out, Case{Pattern: pat, Name: name})
	}
	return out
}

func randomString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// pattern builds a pattern that matches name, piece by piece.
func pattern(r *rand.Rand, name string) string {
	var b strings.Builder
	if r.IntN(5) == 0 {
		b.WriteString("(?i)")
		name = flipCase(r, name)
	}
	if r.IntN(2) == 0 {
		b.WriteByte('^')
	}
	open := false // a \Q left open at the end
	for i := 0; i < len(name); {
		k := min(len(name)-i, 1+r.IntN(3))
		span := name[i : i+k]
		i += k
		if i == len(name) && r.IntN(6) == 0 {
			b.WriteString(`\Q` + span)
			open = true
			break
		}
		b.WriteString(piece(r, span))
	}
	if !open && r.IntN(2) == 0 {
		b.WriteByte('$')
	}
	if !open && r.IntN(6) == 0 {
		b.WriteString("|" + regexp.QuoteMeta(randomString(r, 1+r.IntN(4))))
	}
	return b.String()
}

// piece returns a pattern piece that matches span.
func piece(r *rand.Rand, span string) string {
	switch r.IntN(9) {
	case 0:
		return strings.Repeat(".", len(span))
	case 1:
		var b strings.Builder
		for _, c := range []byte(span) {
			b.WriteString("[" + regexp.QuoteMeta(string(c)) + regexp.QuoteMeta(randomString(r, 1)) + "]")
		}
		return b.String()
	case 2:
		return `\Q` + span + `\E`
	case 3:
		return ".*"
	case 4:
		return `[\w.-]+`
	case 5:
		return "(?:" + regexp.QuoteMeta(span) + "|" + regexp.QuoteMeta(randomString(r, len(span))) + ")"
	case 6:
		return "(?i:" + regexp.QuoteMeta(flipCase(r, span)) + ")"
	case 7:
		return "[^" + regexp.QuoteMeta(randomString(r, 1)) + "]{" + string(rune('0'+len(span))) + "}"
	}
	return regexp.QuoteMeta(span)
}

func flipCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if r.IntN(2) == 0 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = c ^ 0x20
		}
	}
	return string(b)
}

// mutate changes name a little: a character added before or after (which
// unanchored patterns tell apart from whole-name matching), replaced or
// dropped, or its case flipped.
func mutate(r *rand.Rand, name string) string {
	c := randomString(r, 1)
	switch r.IntN(5) {
	case 0:
		return c + name
	case 1:
		return name + c
	case 2:
		i := r.IntN(len(name))
		return name[:i] + c + name[i+1:]
	case 3:
		if len(name) > 1 {
			i := r.IntN(len(name))
			return name[:i] + name[i+1:]
		}
	}
	return flipCase(r, name)
}
