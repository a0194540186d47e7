package pamtest

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
)

// checkPattern judges a grant pattern the way the service does, as far as
// its errors are recorded: the service's RegExp dialect is not RE2, so the
// emulator parses with Go's regexp/syntax (Perl flags) and words the errors
// in the service's terms. Nested quantifiers ("++", "*+", "{2}+") give
// "Syntax error: multiple repeat."; a capturing group gives the service's
// non-capturing-group message. What RE2 cannot parse (lookarounds,
// backreferences) is refused too, since the emulator could not enforce it.
// It returns "" for a good pattern.
func checkPattern(re string) string {
	if _, err := syntax.Parse(re, syntax.Perl); err != nil {
		return "Syntax error: " + syntaxMessage(err) + "."
	}
	if hasCapturingGroup(re) {
		return detailNonCapturing
	}
	return ""
}

// syntaxMessage words a regexp/syntax error like the service's (Python's
// re module's) messages.
func syntaxMessage(err error) string {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return "invalid pattern"
	}
	switch se.Code {
	case syntax.ErrInvalidRepeatOp:
		return "multiple repeat"
	case syntax.ErrMissingRepeatArgument:
		return "nothing to repeat"
	case syntax.ErrMissingParen:
		return "missing ), unterminated subpattern"
	case syntax.ErrUnexpectedParen:
		return "unbalanced parenthesis"
	case syntax.ErrMissingBracket:
		return "unterminated character set"
	case syntax.ErrInvalidEscape, syntax.ErrTrailingBackslash:
		return "bad escape"
	case syntax.ErrInvalidCharRange:
		return "bad character range"
	case syntax.ErrInvalidRepeatSize:
		return "invalid repeat count"
	case syntax.ErrInvalidPerlOp, syntax.ErrInvalidNamedCapture:
		return "unsupported group syntax (pamtest accepts RE2 syntax only)"
	case syntax.ErrInvalidUTF8:
		return "invalid UTF-8"
	case syntax.ErrNestingDepth, syntax.ErrLarge:
		return "pattern too large"
	}
	return "invalid pattern"
}

// hasCapturingGroup reports whether re, which parses, opens a capturing
// group: a "(" outside a character class that is not escaped and not
// followed by "?" (or is followed by a named-group opener "?P<" or "?<").
func hasCapturingGroup(re string) bool {
	for i := 0; i < len(re); i++ {
		ok := true
		switch re[i] {
		case '\\':
			i, ok = skipEscape(re, i)
		case '[':
			i, ok = classEnd(re, i)
		case '(':
			if capturing(re[i+1:]) {
				return true
			}
		}
		if !ok {
			return false
		}
	}
	return false
}

// skipEscape returns the index of the last byte of the escape at re[i]: the
// escaped character, or the E of \Q...\E (literal text). ok is false for
// a \Q without \E, which makes the rest of re literal.
func skipEscape(re string, i int) (end int, ok bool) {
	if i+1 < len(re) && re[i+1] == 'Q' {
		e := indexFrom(re, `\E`, i+2)
		return e + 1, e >= 0
	}
	return i + 1, true
}

// classEnd returns the index of the ']' that ends the character class
// opened at re[i], or len(re) when none does; ok is false as for
// skipEscape. In "[[:alpha:]]" the first ']' ends the class and the second
// is a literal; nothing lies between them, so the scan stays right.
func classEnd(re string, i int) (end int, ok bool) {
	// A ']' right after '[' or '[^' is a literal, not the end.
	if i+1 < len(re) && re[i+1] == '^' {
		i++
	}
	if i+1 < len(re) && re[i+1] == ']' {
		i++
	}
	for i++; i < len(re); i++ {
		switch re[i] {
		case '\\':
			if i, ok = skipEscape(re, i); !ok {
				return i, false
			}
		case ']':
			return i, true
		}
	}
	return i, true
}

// capturing reports whether the group whose text follows "(" captures:
// "(x", "(?P<name>x)" and "(?<name>x)" do; "(?:x)", "(?i)" and the like
// do not.
func capturing(rest string) bool {
	if rest == "" || rest[0] != '?' {
		return true
	}
	return strings.HasPrefix(rest[1:], "P<") || strings.HasPrefix(rest[1:], "<")
}

// indexFrom is strings.Index(s[from:], sub) as an index into s.
func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// patternEntry is a compiled grant pattern, nil if it does not compile.
type patternEntry struct{ re *regexp.Regexp }

// maxPatterns bounds the compiled-pattern cache.
const maxPatterns = 4096

// matchPattern reports whether the pattern matches the whole name.
func (h *handler) matchPattern(pattern, name string) bool {
	h.mu.Lock()
	e, ok := h.patterns[pattern]
	h.mu.Unlock()
	if !ok {
		re, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err == nil {
			e.re = re
		}
		h.mu.Lock()
		if len(h.patterns) >= maxPatterns {
			clear(h.patterns)
		}
		h.patterns[pattern] = e
		h.mu.Unlock()
	}
	return e.re != nil && e.re.MatchString(name)
}
