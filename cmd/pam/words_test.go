package main

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goWords matches advice meant for Go code: method calls, package-qualified
// names, struct fields.
var goWords = regexp.MustCompile(`\*time\.|time\.Minute|\bpam\.[A-Z]|Access\.[A-Z]|\b(AuthorizedUUID|AuthorizedUserID|ChannelPattern|ChannelGroupPattern|UUIDPattern|Channel|ChannelGroup|UUID|Meta)\(|Token\.Allows|call [A-Z][a-z]+[A-Z]|\bnil\b`)

// TestGoWordsPattern: the pattern catches the library's own Go advice.
func TestGoWordsPattern(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		pam.NewTokenRequest(90*time.Second).Channel("a", pam.Read).Validate(),
		pam.NewTokenRequest(time.Minute).Validate(),
	} {
		assert.Regexp(t, goWords, err.Error())
	}
	lint := pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).Lint()
	require.NotEmpty(t, lint)
	assert.Regexp(t, goWords, lint[0].Message)
}

// TestRequestProblems: each problem Validate reports is said in the CLI's
// words, naming the flag that fixes it.
func TestRequestProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *pam.TokenRequest
		want []string
	}{
		{"ttl", pam.NewTokenRequest(90*time.Second).Channel("a", pam.Read), []string{
			"--ttl must be a whole number of minutes between 1 minute and 30 days (43200 minutes), e.g. --ttl 15m"}},
		{"nothing granted", pam.NewTokenRequest(time.Minute), []string{"the grant gives nothing", "e.g. --channel room-1=read"}},
		{"ttl and nothing", pam.NewTokenRequest(0), []string{"--ttl must be", "the grant gives nothing"}},
		{"bits", pam.NewTokenRequest(time.Minute).ChannelGroup("g", pam.Write), []string{"channel groups read and manage"}},
		{"empty authorized uuid", pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).AuthorizedUUID(""), []string{"a permission that its resource type does not take"}},
		{"meta key", pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).Meta("\xff", 1), []string{`--meta: meta key "\xff" is not valid UTF-8`}},
		{"meta value", pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).Meta("f", float64(0)/zero()), []string{`--meta: meta "f": NaN is not a finite number`}},
		//lint:ignore SA1019 the deprecated API is what this error is about
		{"mixed", pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).Space("s", pam.Read), []string{"spaces and users cannot be granted together"}}, //nolint:staticcheck // the deprecated API is what this error is about
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.req.Validate()
			require.Error(t, err)
			got := strings.Join(requestProblems(err), "\n")
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			assert.NotRegexp(t, goWords, got)
			assert.NotContains(t, got, "pam: ")
		})
	}
	assert.Equal(t, []string{"something else"}, requestProblems(errors.New("something else")))
}

func zero() float64 { return 0 }

// TestLintWords: every warning names the flag that made the entry and, where
// there is one, the flag that fixes it, ready to paste.
func TestLintWords(t *testing.T) {
	t.Parallel()
	many := []string{"--ttl", "15m"}
	for i := range 60 {
		many = append(many, "--channel", fmt.Sprintf("a-rather-long-channel-name-%03d=read", i))
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no authorized uuid", []string{"--ttl", "15m", "--channel", "a=read"},
			[]string{"warning: no-authorized-uuid: the token is not bound to a uuid, so anyone who obtains it can use it; add --authorized-uuid with the uuid of the client that will use it"}},
		{"metacharacter in a name", []string{"--ttl", "15m", "--authorized-uuid", "u", "--channel", "room-*=read,write"},
			[]string{`warning: regexp-in-name: --channel "room-*" is an exact name, matched literally`, `use --channel-pattern '^room-.*$=read,write'`}},
		{"anchored name", []string{"--ttl", "15m", "--authorized-uuid", "u", "--group", "^g$=manage"},
			[]string{`--group "^g$" is an exact name`, `use --group-pattern '^g$=manage'`}},
		{"glob", []string{"--ttl", "15m", "--authorized-uuid", "u", "--uuid-pattern", "user-*=get"},
			[]string{`warning: glob-pattern: --uuid-pattern "user-*" looks like a glob`, `write --uuid-pattern '^user-.*$=get'`,
				`warning: unanchored-pattern: --uuid-pattern "user-*" is not anchored`}},
		{"unanchored", []string{"--ttl", "15m", "--authorized-uuid", "u", "--channel-pattern", "room=read"},
			[]string{`--channel-pattern "room" is not anchored with ^ and $`, `write --channel-pattern '^room$=read'`}},
		{"capturing group", []string{"--ttl", "15m", "--authorized-uuid", "u", "--channel-pattern", "^(a|b)$=read"},
			[]string{`warning: capturing-group: --channel-pattern "^(a|b)$" has a capturing group`, "write (?: instead of ("}},
		{"not RE2", []string{"--ttl", "15m", "--authorized-uuid", "u", "--channel-pattern", "^a(?=b)$=read"},
			[]string{`warning: invalid-regexp: --channel-pattern "^a(?=b)$" is not a valid RE2 regular expression (invalid or unsupported Perl syntax)`, "pam check never matches it"}},
		{"long token", append(many, "--authorized-uuid", "u"),
			[]string{"warning: long-token: the token will be about ", " characters long", "one --channel-pattern can cover many", "keep less in --meta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, "", append(append([]string{"grant"}, tt.args...), "--dry-run")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.NotRegexp(t, goWords, r.stderr)
			for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				assert.Regexp(t, `^warning: [a-z-]+: `, line)
			}
		})
	}
}

// TestWithHint: a network failure says where the request went.
func TestWithHint(t *testing.T) {
	t.Parallel()
	netErr := fmt.Errorf("pam: grant token: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
	e := &env{getenv: func(k string) string { return map[string]string{"PAM_ORIGIN": "http://127.0.0.1:8090"}[k] }}
	assert.Contains(t, withHint(netErr, e).Error(), "is the service at PAM_ORIGIN=http://127.0.0.1:8090 running? pam serve runs a local one")
	assert.ErrorIs(t, withHint(netErr, e), netErr)
	none := &env{getenv: func(string) string { return "" }}
	assert.Contains(t, withHint(netErr, none).Error(), "PAM_ORIGIN is not set")
	other := errors.New("pam: grant token: service answered 400")
	assert.Equal(t, other, withHint(other, e))
}
