package main

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/lintfix"
)

// The library speaks to Go programmers ("pass e.g. 15*time.Minute", "call
// AuthorizedUUID"); the CLI speaks to shell users. It recognises the
// library's errors by their sentinels and its warnings by their codes, and
// says the same in terms of its own flags.

// problemWords are the CLI's words for the problems Validate reports.
var problemWords = []struct {
	sentinel error
	words    string
}{
	{pam.ErrInvalidTTL, "--ttl must be a whole number of minutes between 1 minute and 30 days (43200 minutes), e.g. --ttl 15m"},
	{pam.ErrMixedAPIs, "spaces and users cannot be granted together with channels, channel groups and uuids"},
	{pam.ErrNoPermissions, "the grant gives nothing; add at least one --channel, --channel-pattern, --group, --group-pattern, " +
		"--uuid-resource or --uuid-pattern, e.g. --channel room-1=read"},
	{pam.ErrInvalidPermission, "a permission that its resource type does not take: channels take read, write, manage, delete, " +
		"get, update and join; channel groups read and manage; uuids get, update and delete"},
	{pam.ErrMissingSecretKey, "set PAM_SECRET_KEY to the keyset's secret key"},
	{pam.ErrMissingPublishKey, "set PAM_PUBLISH_KEY to the keyset's publish key"},
}

// requestProblems returns what Validate found, one line each, in the CLI's
// words.
func requestProblems(err error) []string {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, problemText(e))
	}
	return out
}

// problemText is one problem in the CLI's words.
func problemText(err error) string {
	if errors.Is(err, pam.ErrInvalidMeta) {
		return "--meta: " + detail(err, pam.ErrInvalidMeta)
	}
	for _, p := range problemWords {
		if errors.Is(err, p.sentinel) {
			return p.words
		}
	}
	return cause(err)
}

// detail is err's message after its sentinel's.
func detail(err, sentinel error) string {
	msg := cause(err)
	if i := strings.Index(msg, sentinel.Error()+": "); i >= 0 {
		return msg[i+len(sentinel.Error())+2:]
	}
	return msg
}

// cause is the message of the error err wraps: a problem without the
// "pam: " (and operation) that the package puts around it where it leaves.
func cause(err error) string {
	if inner := errors.Unwrap(err); inner != nil {
		return inner.Error()
	}
	return err.Error()
}

// longTokenChars finds the estimated length in a long-token warning.
var longTokenChars = regexp.MustCompile(`\d+ characters`)

// lintLines are the warnings of TokenRequest.Lint in the CLI's words, one
// line each: "CODE: words".
func (g *grantFlags) lintLines(ws []pam.Warning) []string {
	type pattern struct {
		rt   pam.ResourceType
		name string
	}
	globs := map[pattern]bool{} // the patterns that read as globs
	for _, w := range ws {
		if w.Code == pam.LintGlobPattern {
			globs[pattern{w.Type, w.Name}] = true
		}
	}
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, string(w.Code)+": "+g.lintWords(w, w.Pattern && globs[pattern{w.Type, w.Name}]))
	}
	return out
}

// lintWords is one warning in the CLI's words, naming the flag that made
// the entry and the flag that would fix it; glob says whether the entry is
// a pattern that reads as a glob.
func (g *grantFlags) lintWords(w pam.Warning, glob bool) string {
	switch w.Code {
	case pam.LintNoAuthorizedUUID:
		return "the token is not bound to a uuid, so anyone who obtains it can use it; " +
			"add --authorized-uuid with the uuid of the client that will use it"
	case pam.LintEmptyMetaKey:
		return `a --meta key is empty (--meta "=VALUE"); the service accepts it and the token keeps it, ` +
			"but it is easy to miss and usually a mistake: check the --meta flags"
	case pam.LintLongToken:
		size := "long"
		if n := longTokenChars.FindString(w.Message); n != "" {
			size = "about " + n + " long"
		}
		return "the token will be " + size + "; it travels in the URL of every request, and URLs over 2 KB fail with some proxies and CDNs; " +
			"grant fewer names (one --channel-pattern can cover many), split the grant into several tokens, or keep less in --meta"
	}
	flagName, perms := g.granted(w.Type, w.Pattern, w.Name)
	if flagName == "" { // not an entry the flags made: keep the library's words
		return w.Message
	}
	what := flagName + " " + quote(w.Name)
	fix := func(pattern string) string {
		return patternFlag(flagName) + " " + shellQuote(pattern+"="+strings.Join(perms.Names(), ","))
	}
	switch w.Code {
	case pam.LintRegexpInName:
		return fmt.Sprintf("%s is an exact name, matched literally, but contains a regular expression metacharacter; "+
			"it grants only the %s named %s; to grant every match use %s", what, typeName(w.Type, false), quote(w.Name), fix(nameToPattern(w.Name)))
	case pam.LintGlobPattern:
		return fmt.Sprintf(`%s looks like a glob, but patterns are regular expressions, where "*" repeats the character before it; `+
			"to match names like %s write %s", what, quote(strings.ReplaceAll(w.Name, "*", "…")), fix(lintfix.Glob(w.Name)))
	case pam.LintUnanchoredPattern:
		p := lintfix.Anchor(w.Name)
		if glob {
			p = lintfix.Glob(w.Name)
		}
		return fmt.Sprintf(`%s is not anchored with ^ and $, so it may match more names than intended ("room" matches "my-room-2"); write %s`,
			what, fix(p))
	case pam.LintCapturingGroup:
		return what + ` has a capturing group, which the service rejects ("Only non-capturing groups are allowed"); write (?: instead of (`
	case pam.LintInvalidRegexp:
		return fmt.Sprintf(`%s is not a valid RE2 regular expression (%s); the service may reject it ("Invalid RegExp"), and pam check never matches it`,
			what, regexpProblem(w.Name))
	}
	return w.Message
}

// patternFlag is the pattern flag of the same type as flagName.
func patternFlag(flagName string) string {
	switch flagName {
	case "--channel":
		return "--channel-pattern"
	case "--group":
		return "--group-pattern"
	case "--uuid-resource":
		return "--uuid-pattern"
	}
	return flagName
}

// nameToPattern is the pattern an exact name with metacharacters was
// probably meant as: itself when anchored, its glob reading otherwise.
func nameToPattern(name string) string {
	if strings.HasPrefix(name, "^") || strings.HasSuffix(name, "$") {
		return name
	}
	return lintfix.Glob(name)
}

// regexpProblem says why a pattern is not valid RE2.
func regexpProblem(p string) string {
	_, err := syntax.Parse(p, syntax.Perl)
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code)
	}
	if err != nil {
		return err.Error()
	}
	return "unknown reason"
}

// withHint adds to a network error where the CLI sent the request.
func withHint(err error, e *env) error {
	var ne net.Error
	var oe *net.OpError
	if !errors.As(err, &ne) && !errors.As(err, &oe) {
		return err
	}
	origin := e.getenv("PAM_ORIGIN")
	if origin == "" {
		return fmt.Errorf("%w (PAM_ORIGIN is not set, so the request went to PubNub)", err)
	}
	return fmt.Errorf("%w (is the service at PAM_ORIGIN=%s running? pam serve runs a local one)", err, origin)
}
