package authz

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
)

// Pattern is one grant pattern, judged and compiled at most once. It is
// safe for concurrent use.
type Pattern struct {
	src     string
	cost    int  // parseCost(src)
	charged bool // counted in its Cache's units; guarded by the Cache's mu

	analyzeOnce sync.Once
	status      Status
	err         error // why the pattern is Invalid or TooComplex
	prog        int   // instructions of its program; 0 if not measured
	prefix      string
	text        string // what regexp compiles, once analyzed OK; "" once compiled
	fast        *simple

	compileOnce sync.Once
	re          *regexp.Regexp
}

// newPattern returns the pattern src, not yet analyzed.
func newPattern(src string) *Pattern { return &Pattern{src: src, cost: parseCost(src)} }

// Check judges src on its own: whether it is valid RE2 and within the
// per-pattern limits, and, if it is not, why.
func Check(src string) (Status, error) {
	p := newPattern(src)
	p.analyze()
	return p.status, p.err
}

// Source returns the pattern text.
func (p *Pattern) Source() string { return p.src }

// analyze parses and measures the pattern, once.
func (p *Pattern) analyze() {
	p.analyzeOnce.Do(func() {
		p.status, p.err = p.parse()
	})
}

func (p *Pattern) parse() (Status, error) {
	switch {
	case len(p.src) > MaxPatternLen:
		return TooComplex, errors.New("it is " + strconv.Itoa(len(p.src)) + " bytes long, over the limit of " +
			strconv.Itoa(MaxPatternLen))
	case p.cost > MaxPatternLen:
		return TooComplex, errors.New("its Unicode classes and case-folded ranges are too costly to parse")
	}
	re, err := syntax.Parse(p.src, syntax.Perl)
	if err != nil {
		return Invalid, err
	}
	p.prefix = literalPrefix(re)
	anchored := anchor(re)
	if progEstimate(anchored, 2*MaxPatternProg) > 2*MaxPatternProg {
		return TooComplex, errors.New("its program is estimated at more than " + strconv.Itoa(2*MaxPatternProg) +
			" instructions, over the limit of " + strconv.Itoa(MaxPatternProg))
	}
	prog, err := syntax.Compile(anchored.Simplify())
	if err != nil {
		return Invalid, err
	}
	p.prog = len(prog.Inst)
	if p.prog > MaxPatternProg {
		return TooComplex, errors.New("its program needs " + strconv.Itoa(p.prog) + " instructions, over the limit of " +
			strconv.Itoa(MaxPatternProg))
	}
	if p.fast = simpleOf(re); p.fast == nil {
		p.text = matchText(p.src, re)
	}
	return OK, nil
}

// anchor returns re between \A and \z: Concat{BeginText, re, EndText}.
func anchor(re *syntax.Regexp) *syntax.Regexp {
	return &syntax.Regexp{Op: syntax.OpConcat, Flags: syntax.Perl,
		Sub: []*syntax.Regexp{{Op: syntax.OpBeginText}, re, {Op: syntax.OpEndText}}}
}

// matchText returns the text regexp compiles for src, parsed as re, with
// the meaning of anchor(re). A pattern whose tree already starts with \A
// (or ^) and ends with \z (or $) is its own text, which lets regexp use its
// literal prefix. Any other goes inside a group between \A and \z, with a
// \Q left open by src closed first: a pattern that parses on its own
// leaves nothing else open.
func matchText(src string, re *syntax.Regexp) string {
	if n := len(re.Sub); re.Op == syntax.OpConcat && n >= 2 &&
		re.Sub[0].Op == syntax.OpBeginText && re.Sub[n-1].Op == syntax.OpEndText {
		return src
	}
	return `\A(?:` + src + closeQuote(src) + `)\z`
}

// compile builds the matcher of an analyzed OK pattern, once.
func (p *Pattern) compile() {
	p.compileOnce.Do(func() {
		if p.text == "" {
			return
		}
		if re, err := regexp.Compile(p.text); err == nil {
			p.re = re
		}
		p.text = ""
	})
}

// closeQuote returns `\E` if src, which parses, ends inside \Q...
func closeQuote(src string) string {
	for i := 0; i < len(src); i++ {
		if src[i] != '\\' || i+1 >= len(src) {
			continue
		}
		if src[i+1] != 'Q' {
			i++
			continue
		}
		end := strings.Index(src[i+2:], `\E`)
		if end < 0 {
			return `\E`
		}
		i += 2 + end + 1
	}
	return ""
}

// compiled reports whether the pattern has a matcher: after compile, unless
// regexp refused it.
func (p *Pattern) compiled() bool { return p.fast != nil || p.re != nil }

// match reports whether the compiled pattern matches all of name; false if
// it is not compiled.
func (p *Pattern) match(name string) bool {
	if p.fast != nil {
		return p.fast.match(name)
	}
	return p.re != nil && p.re.MatchString(name)
}

// literalPrefix returns the literal text every match of re starts with,
// after any ^ or \A: "room-" for "^room-[0-9]+$".
func literalPrefix(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return string(re.Rune)
		}
	case syntax.OpCapture:
		return literalPrefix(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if sub.Op != syntax.OpBeginText && sub.Op != syntax.OpBeginLine {
				return literalPrefix(sub)
			}
		}
	}
	return ""
}
