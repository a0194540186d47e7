package authz

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Weights of what makes regexp/syntax's parser slow, measured with Go 1.24
// to 1.26 and rounded up: a \p or \P class takes up to about 60 µs to build
// (case-folded \P{Lo}); folding a class range under (?i) takes about 30 ns a
// rune for the runes that have case variants.
const (
	unicodeClassCost = 128
	foldRunesPerUnit = 16
	// The runes case folding looks at: regexp/syntax's minFold, and a
	// bound above its maxFold (0x1E943 in Unicode 15) with room for growth.
	foldLo = 0x41
	foldHi = 0x1FFFF
)

// parseCost estimates, from the text alone, the work syntax.Parse does on
// src: a unit a byte, unicodeClassCost a Unicode class, and, when src may
// turn on case folding, a unit per foldRunesPerUnit runes folded in the
// ranges of its classes. It errs high on text it does not understand.
func parseCost(src string) int {
	s := costScanner{src: src, fold: mayFold(src), cost: len(src)}
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case '\\':
			s.escape()
		case '[':
			s.class()
		default:
			s.i++
		}
	}
	return s.cost
}

// mayFold reports whether src has a flag group that mentions i: "(?i)",
// "(?-i)", "(?si:" and so on. It may say yes for text inside \Q...\E.
func mayFold(src string) bool {
	for rest := src; ; {
		k := strings.Index(rest, "(?")
		if k < 0 {
			return false
		}
		rest = rest[k+2:]
		end := strings.IndexFunc(rest, func(r rune) bool { return !strings.ContainsRune("imsU-", r) })
		if end < 0 {
			end = len(rest)
		}
		if strings.IndexByte(rest[:end], 'i') >= 0 {
			return true
		}
	}
}

type costScanner struct {
	src  string
	i    int
	fold bool
	cost int
}

// escape reads an escape outside a class: \Q...\E is skipped whole, \p and
// \P are charged.
func (s *costScanner) escape() {
	if s.i+1 >= len(s.src) {
		s.i++
		return
	}
	switch s.src[s.i+1] {
	case 'Q':
		end := strings.Index(s.src[s.i+2:], `\E`)
		if end < 0 {
			s.i = len(s.src)
			return
		}
		s.i += 2 + end + 2
	case 'p', 'P':
		s.unicodeClass()
	default:
		s.i += 2
	}
}

// unicodeClass charges and skips \pN or \p{Name} at s.i.
func (s *costScanner) unicodeClass() {
	s.cost += unicodeClassCost
	s.i += 2
	if s.i < len(s.src) && s.src[s.i] == '{' {
		if end := strings.IndexByte(s.src[s.i:], '}'); end >= 0 {
			s.i += end + 1
			return
		}
	}
	s.i++
}

// class reads a character class starting at s.i ('['), charging the
// folding of its ranges.
func (s *costScanner) class() {
	s.i++
	if s.i < len(s.src) && s.src[s.i] == '^' {
		s.i++
	}
	for first := true; s.i < len(s.src); first = false {
		if s.src[s.i] == ']' && !first {
			s.i++
			return
		}
		if strings.HasPrefix(s.src[s.i:], "[:") {
			if end := strings.Index(s.src[s.i+2:], ":]"); end >= 0 {
				s.i += 2 + end + 2 // a POSIX class: ASCII, cheap
				continue
			}
		}
		lo, ok := s.classRune()
		if !ok || s.i+1 >= len(s.src) || s.src[s.i] != '-' || s.src[s.i+1] == ']' {
			continue
		}
		s.i++
		hi, ok := s.classRune()
		if !ok {
			hi = utf8.MaxRune // not understood: assume the worst
		}
		if s.fold {
			s.cost += foldCost(lo, hi)
		}
	}
}

// classRune reads one class item at s.i. ok is false for items that are
// not a single rune (\d, \pL, ...).
func (s *costScanner) classRune() (r rune, ok bool) {
	if s.src[s.i] != '\\' {
		r, n := utf8.DecodeRuneInString(s.src[s.i:])
		s.i += n
		return r, true
	}
	if s.i+1 >= len(s.src) {
		s.i++
		return 0, false
	}
	c := s.src[s.i+1]
	switch c {
	case 'p', 'P':
		s.unicodeClass()
		return 0, false
	case 'd', 'D', 's', 'S', 'w', 'W':
		s.i += 2
		return 0, false
	case 'x':
		return s.hexRune(), true
	case '0', '1', '2', '3', '4', '5', '6', '7':
		s.i++
		n := 0
		for k := 0; k < 3 && s.i < len(s.src) && s.src[s.i] >= '0' && s.src[s.i] <= '7'; k++ {
			n = n*8 + int(s.src[s.i]-'0')
			s.i++
		}
		return rune(n), true
	}
	s.i++
	r, n := utf8.DecodeRuneInString(s.src[s.i:])
	s.i += n
	return r, true
}

// hexRune reads \xHH or \x{H...} at s.i; what it cannot read is the
// largest rune.
func (s *costScanner) hexRune() rune {
	s.i += 2
	digits := s.src[s.i:]
	if strings.HasPrefix(digits, "{") {
		end := strings.IndexByte(digits, '}')
		if end < 0 {
			s.i = len(s.src)
			return utf8.MaxRune
		}
		digits, s.i = digits[1:end], s.i+end+1
	} else {
		digits = digits[:min(2, len(digits))]
		s.i += len(digits)
	}
	var r rune
	for _, d := range digits {
		v := strings.IndexRune("0123456789abcdef", d|0x20)
		if v < 0 || r > utf8.MaxRune {
			return utf8.MaxRune
		}
		r = r*16 + rune(v)
	}
	return r
}

// foldCost is the cost of case folding the range lo-hi.
func foldCost(lo, hi rune) int {
	if lo <= foldLo && hi >= utf8.MaxRune {
		return 0 // the whole range: regexp/syntax does not fold it
	}
	lo, hi = max(lo, foldLo), min(hi, foldHi)
	if lo > hi {
		return 0
	}
	return int(hi-lo+1) / foldRunesPerUnit
}

// progEstimate bounds from above the instructions of the program
// syntax.Compile makes for re once simplified, saturating at limit+1.
func progEstimate(re *syntax.Regexp, limit int) int {
	return min(2+treeEstimate(re, limit), limit+1) // 2: the program's fail and match
}

// treeEstimate bounds from above the instructions syntax.Compile makes for
// re once simplified, as regexp/syntax's own size check does, saturating
// at limit+1.
func treeEstimate(re *syntax.Regexp, limit int) int {
	sat := func(n int) int { return min(n, limit+1) }
	var size int
	switch re.Op {
	case syntax.OpLiteral:
		size = len(re.Rune)
	case syntax.OpCapture, syntax.OpStar:
		size = 2 + treeEstimate(re.Sub[0], limit)
	case syntax.OpPlus, syntax.OpQuest:
		size = 1 + treeEstimate(re.Sub[0], limit)
	case syntax.OpConcat, syntax.OpAlternate:
		size = len(re.Sub) - 1
		if re.Op == syntax.OpConcat {
			size = 0
		}
		for _, sub := range re.Sub {
			size = sat(size + treeEstimate(sub, limit))
		}
	case syntax.OpRepeat:
		sub := treeEstimate(re.Sub[0], limit)
		switch {
		case re.Max == -1 && re.Min == 0:
			size = 2 + sub
		case re.Max == -1:
			size = 1 + sat(re.Min*sub)
		default:
			size = sat(re.Max*sub) + re.Max - re.Min
		}
	}
	return sat(max(1, size))
}
