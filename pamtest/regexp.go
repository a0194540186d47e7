package pamtest

import (
	"errors"
	"net/http"
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

// checkPatterns returns the Invalid RegExp error for the grant's patterns,
// or nil: each one as checkPattern judges it, then, if all are good, the
// patterns the emulator checks together, over the limit pam checks locally
// for one token.
func checkPatterns(pat *tokencodec.Grants) *apiError {
	bad := &apiError{status: http.StatusBadRequest, message: msgInvalidRegExp}
	for _, tp := range grantTypes {
		for re := range grantsOf(pat, tp) {
			if msg := checkPattern(re); msg != "" {
				bad.details = append(bad.details, detail{msg, "permissions.patterns." + tp + "." + re, "body"})
			}
		}
	}
	if len(bad.details) == 0 {
		maps := [authz.Types]map[string]uint32{pat.Chan, pat.Grp, pat.UUID}
		if !authz.Build(new(authz.Cache), &maps).Over() {
			return nil
		}
		bad.details = append(bad.details, detail{detailTooComplexTogether, "permissions.patterns", "body"})
	}
	return bad.sortDetails()
}
