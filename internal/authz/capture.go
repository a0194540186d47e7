package authz

import (
	"regexp/syntax"
	"strings"
)

// HasCapture reports whether the pattern src has a capturing group, which
// the service rejects ("(room)", "(?P<n>room)", "(?<n>room)"). A pattern
// that parses is judged on its syntax tree; one that does not, on its
// text: a "(" outside classes, escapes and \Q...\E that does not open a
// non-capturing group or a flag group.
func HasCapture(src string) bool {
	if len(src) <= MaxPatternLen && parseCost(src) <= MaxPatternLen {
		if re, err := syntax.Parse(src, syntax.Perl); err == nil {
			return hasCaptureNode(re)
		}
	}
	return scanCapture(src)
}

func hasCaptureNode(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		return true
	}
	for _, sub := range re.Sub {
		if hasCaptureNode(sub) {
			return true
		}
	}
	return false
}

// scanCapture looks for a capturing "(" in text that may not parse.
func scanCapture(src string) bool {
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			if strings.HasPrefix(src[i:], `\Q`) { // \Q...\E is literal text
				end := strings.Index(src[i+2:], `\E`)
				if end < 0 {
					return false
				}
				i += 2 + end + 1
				continue
			}
			i++ // skip the escaped character
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
			i = skipClassStart(src, i)
		case c == '(':
			if capturingOpen(src[i+1:]) {
				return true
			}
		}
	}
	return false
}

// skipClassStart returns the index of the last byte of a class's opening
// ("[", "[^", "[]" or "[^]"): a "]" right after "[" or "[^" is a literal.
// In "[[:alpha:]]" the scan takes the first "]" as the end of the class and
// the second as a literal; nothing lies between them, so it stays right.
func skipClassStart(src string, i int) int {
	if i+1 < len(src) && src[i+1] == '^' {
		i++
	}
	if i+1 < len(src) && src[i+1] == ']' {
		i++
	}
	return i
}

// capturingOpen reports whether the text after a "(" makes it a capturing
// group: anything but "?", or a named group "?P<" or "?<" (but not the
// lookbehinds "?<=" and "?<!").
func capturingOpen(rest string) bool {
	switch {
	case !strings.HasPrefix(rest, "?"):
		return true
	case strings.HasPrefix(rest, "?P<"):
		return true
	}
	return strings.HasPrefix(rest, "?<") && !strings.HasPrefix(rest, "?<=") && !strings.HasPrefix(rest, "?<!")
}
