package authz

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// simple matches the commonest shape of pattern without regexp: anchored at
// both ends, a literal, at most one repeated class (or .), and a literal,
// as in "^room-[0-9]+$", "^chat\..*$" or "^admin$". It gives the answers of
// regexp on the same pattern (the tests compare them on random input) in
// a fraction of the time.
type simple struct {
	prefix, suffix string
	class          []rune // sorted ranges, lo-hi pairs; nil with any
	any            bool   // . : any rune, or any but \n unless nl
	nl             bool
	min, max       int // repeats of the class; max -1 is unbounded
}

// simpleOf returns the simple matcher of re, parsed from a pattern, or nil
// if re does not have the shape.
func simpleOf(re *syntax.Regexp) *simple {
	n := len(re.Sub)
	if re.Op != syntax.OpConcat || n < 2 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[n-1].Op != syntax.OpEndText {
		return nil
	}
	mid := re.Sub[1 : n-1]
	s := &simple{}
	if len(mid) > 0 && plainLiteral(mid[0]) {
		s.prefix, mid = string(mid[0].Rune), mid[1:]
	}
	if len(mid) > 0 && plainLiteral(mid[len(mid)-1]) {
		s.suffix, mid = string(mid[len(mid)-1].Rune), mid[:len(mid)-1]
	}
	switch len(mid) {
	case 0:
		return s
	case 1:
		if s.repeat(mid[0]) {
			return s
		}
	}
	return nil
}

// plainLiteral reports whether re is a literal that matches its own bytes:
// not case-folded, and without U+FFFD, which regexp also matches to a
// byte that is not UTF-8.
func plainLiteral(re *syntax.Regexp) bool {
	return re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 && !slices.Contains(re.Rune, utf8.RuneError)
}

// repeat sets the class and repeats from re, a class or a repeated class.
func (s *simple) repeat(re *syntax.Regexp) bool {
	atom := re
	s.min, s.max = 1, 1
	switch re.Op {
	case syntax.OpStar:
		s.min, s.max, atom = 0, -1, re.Sub[0]
	case syntax.OpPlus:
		s.min, s.max, atom = 1, -1, re.Sub[0]
	case syntax.OpQuest:
		s.min, s.max, atom = 0, 1, re.Sub[0]
	case syntax.OpRepeat:
		s.min, s.max, atom = re.Min, re.Max, re.Sub[0]
	}
	switch atom.Op {
	case syntax.OpCharClass:
		s.class = atom.Rune
	case syntax.OpAnyCharNotNL:
		s.any = true
	case syntax.OpAnyChar:
		s.any, s.nl = true, true
	default:
		return false
	}
	return true
}

// match reports whether the pattern matches all of name.
func (s *simple) match(name string) bool {
	if len(name) < len(s.prefix)+len(s.suffix) || !strings.HasPrefix(name, s.prefix) || !strings.HasSuffix(name, s.suffix) {
		return false
	}
	mid := name[len(s.prefix) : len(name)-len(s.suffix)]
	if s.class == nil && !s.any {
		return mid == ""
	}
	n := 0
	for _, r := range mid { // invalid UTF-8 reads as U+FFFD, as in regexp
		if !s.has(r) {
			return false
		}
		if n++; s.max >= 0 && n > s.max {
			return false
		}
	}
	return n >= s.min
}

// has reports whether the class holds r.
func (s *simple) has(r rune) bool {
	if s.any {
		return s.nl || r != '\n'
	}
	lo, hi := 0, len(s.class)/2 // binary search of the pairs
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < s.class[2*m]:
			hi = m
		case r > s.class[2*m+1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}
