package pamtest

import (
	"errors"
	"regexp/syntax"

	"github.com/pamkit/pam/internal/authz"
	"github.com/pamkit/pam/internal/tokencodec"
)

// checkPattern judges a grant pattern the way the service does, as far as
// its errors are recorded: the service's RegExp dialect is not RE2, so the
// emulator parses with Go's regexp/syntax (Perl flags) and words the errors
// in the service's terms. Nested quantifiers ("++", "*+", "{2}+") give
// "Syntax error: multiple repeat."; a capturing group gives the service's
// non-capturing-group message. What RE2 cannot parse (lookarounds,
// backreferences) is refused too, since the emulator could not enforce it,
// and so is a pattern over the limits pam checks locally (see
// [detailTooComplex]). It returns "" for a good pattern.
func checkPattern(re string) string {
	switch st, err := authz.Check(re); st {
	case authz.Invalid:
		return "Syntax error: " + syntaxMessage(err) + "."
	case authz.TooComplex:
		return detailTooComplex + err.Error() + "."
	}
	if authz.HasCapture(re) {
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

// checkPatternCost returns the Invalid RegExp detail for patterns that are
// each within the limits but over the token's limit together, or nil.
func checkPatternCost(pat *tokencodec.Grants) *detail {
	maps := [authz.Types]map[string]uint32{pat.Chan, pat.Grp, pat.UUID}
	if !authz.Build(new(authz.Cache), &maps).Over() {
		return nil
	}
	return &detail{detailTooComplexTogether, "permissions.patterns", "body"}
}
