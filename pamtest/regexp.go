package pamtest

import (
	"errors"
	"regexp"
	"regexp/syntax"
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
	inClass := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\':
			if i+1 < len(re) && re[i+1] == 'Q' { // \Q...\E is literal text
				end := indexFrom(re, `\E`, i+2)
				if end < 0 {
					return false
				}
				i = end + 1
				continue
			}
			i++ // skip the escaped character
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			// A ']' right after '[' or '[^' is a literal, not the end.
			if i+1 < len(re) && re[i+1] == '^' {
				i++
			}
			if i+1 < len(re) && re[i+1] == ']' {
				i++
			}
			// In "[[:alpha:]]" the loop takes the first ']' as the end of
			// the class and the second as a literal; nothing lies between
			// them, so the scan stays right.
		case c == '(':
			if i+1 >= len(re) || re[i+1] != '?' {
				return true
			}
			rest := re[i+2:]
			if len(rest) >= 2 && rest[0] == 'P' && rest[1] == '<' || len(rest) >= 1 && rest[0] == '<' {
				return true
			}
		}
	}
	return false
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
