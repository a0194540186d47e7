package pam_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/vectors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pamkit/pam"
)

// lintCodes returns "code name" for each warning about an entry.
func lintCodes(ws []pam.Warning) []string {
	var out []string
	for _, w := range ws {
		if w.Code != pam.LintNoAuthorizedUUID {
			out = append(out, string(w.Code)+" "+w.Name)
		}
	}
	return out
}

func TestLint(t *testing.T) {
	t.Parallel()
	bound := func() *pam.TokenRequest { return pam.NewTokenRequest(15 * time.Minute).AuthorizedUUID("u-1") }
	cases := []struct {
		name  string
		req   *pam.TokenRequest
		codes []string
		says  []string
	}{
		{"clean", bound().Channel("room-1", pam.Read).ChannelPattern("^room-[0-9]+$", pam.Read).
			ChannelGroupPattern(`^cg-\S+$`, pam.Read).UUIDPattern("^(?:bot|svc)-.*$", pam.Get), nil, nil},
		{"star in exact name", bound().Channel("room-*", pam.Read),
			[]string{"regexp-in-name room-*"},
			[]string{`channel "room-*" is an exact name`, `ChannelPattern("^room-.*$")`}},
		{"dot-star in exact name", bound().UUID("user.*", pam.Get),
			[]string{"regexp-in-name user.*"}, []string{`UUIDPattern("^user\\..*$")`}},
		{"anchors in exact name", bound().ChannelGroup("^cg-1$", pam.Read),
			[]string{"regexp-in-name ^cg-1$"}, []string{`ChannelGroupPattern("^cg-1$")`}},
		{"glob pattern", bound().ChannelPattern("room-*", pam.Read),
			[]string{"glob-pattern room-*", "unanchored-pattern room-*"},
			[]string{`looks like a glob`, `write "^room-.*$"`}},
		{"leading star glob", bound().ChannelPattern("*-lobby", pam.Read),
			[]string{"glob-pattern *-lobby", "invalid-regexp *-lobby", "unanchored-pattern *-lobby"},
			[]string{`missing argument to repetition operator`}},
		{"regexp star is no glob", bound().ChannelPattern("^room-.*$", pam.Read).ChannelPattern(`^a\d*$`, pam.Read).
			ChannelPattern("^(?:ab)*$", pam.Read).ChannelPattern("^[ab]*$", pam.Read), nil, nil},
		{"unanchored start", bound().ChannelPattern("room-[0-9]+$", pam.Read),
			[]string{"unanchored-pattern room-[0-9]+$"}, []string{`write "^room-[0-9]+$"`}},
		{"unanchored end", bound().UUIDPattern("^bot-", pam.Get),
			[]string{"unanchored-pattern ^bot-"}, []string{`write "^bot-$"`}},
		{"escaped dollar is no anchor", bound().ChannelPattern(`^price\$`, pam.Read),
			[]string{`unanchored-pattern ^price\$`}, nil},
		{"capturing group", bound().ChannelPattern("^(a|b)-room$", pam.Read),
			[]string{"capturing-group ^(a|b)-room$"}, []string{"Only non-capturing groups are allowed", "(?:"}},
		{"named group captures", bound().ChannelPattern("^(?P<x>a)$", pam.Read),
			[]string{"capturing-group ^(?P<x>a)$"}, nil},
		{"not RE2", bound().UUIDPattern("^!<[^>]+>++$", pam.Get),
			[]string{"invalid-regexp ^!<[^>]+>++$"}, []string{"invalid nested repetition operator", "Invalid RegExp"}},
		{"not RE2 with a capture", bound().ChannelPattern(`^(a)\1$`, pam.Read),
			[]string{`capturing-group ^(a)\1$`, `invalid-regexp ^(a)\1$`}, nil},
		{"lookahead", bound().ChannelPattern("^(?!admin).*$", pam.Read),
			[]string{"invalid-regexp ^(?!admin).*$"}, nil},
		{"paren in class is no group", bound().ChannelPattern(`^[(]x$`, pam.Read), nil, nil},
		{"deprecated types", pam.NewTokenRequest(time.Minute).AuthorizedUserID("u").Space("s*", pam.Read).UserPattern("u-*", pam.Get),
			[]string{"regexp-in-name s*", "glob-pattern u-*", "unanchored-pattern u-*"},
			[]string{`SpacePattern("^s.*$")`, `user pattern "u-*"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ws := c.req.Lint()
			assert.Equal(t, c.codes, lintCodes(ws))
			all := fmt.Sprint(ws)
			for _, s := range c.says {
				assert.Contains(t, all, s)
			}
			for _, w := range ws {
				assert.Equal(t, string(w.Code)+": "+w.Message, w.String())
				assert.False(t, w.Request, "about an entry")
				assert.NotEmpty(t, w.Message)
			}
		})
	}
}

func TestLintAuthorizedUUID(t *testing.T) {
	t.Parallel()
	ws := pam.NewTokenRequest(time.Minute).Channel("a", pam.Read).Lint()
	require.Len(t, ws, 1)
	assert.Equal(t, pam.LintNoAuthorizedUUID, ws[0].Code)
	assert.True(t, ws[0].Request, "about the whole request")
	assert.Empty(t, ws[0].Name)
	assert.Contains(t, ws[0].Message, "call AuthorizedUUID")

	assert.Empty(t, pam.NewTokenRequest(time.Minute).AuthorizedUUID("u").Channel("a", pam.Read).Lint())
	assert.Empty(t, pam.NewTokenRequest(time.Minute).AuthorizedUserID("u").Space("a", pam.Read).Lint())
	assert.Len(t, pam.NewTokenRequest(time.Minute).AuthorizedUUID("").Channel("a", pam.Read).Lint(), 1, `"" binds to nobody`)
}

func TestLintLongToken(t *testing.T) {
	t.Parallel()
	r := pam.NewTokenRequest(time.Hour).AuthorizedUUID("u")
	for i := range 30 {
		r.Channel(fmt.Sprintf("channel-%02d", i), pam.Read)
	}
	assert.Empty(t, r.Lint(), "30 channels fit")
	for i := range 70 {
		r.Channel(fmt.Sprintf("another-channel-%02d", i), pam.Read|pam.Write)
	}
	ws := r.Lint()
	require.Len(t, ws, 1)
	assert.Equal(t, pam.LintLongToken, ws[0].Code)
	assert.True(t, ws[0].Request, "about the whole request")
	assert.Contains(t, ws[0].Message, "the token will be about ")
	assert.Contains(t, ws[0].Message, "a pattern can cover many")

	// Meta counts too.
	m := pam.NewTokenRequest(time.Hour).AuthorizedUUID("u").Channel("a", pam.Read).Meta("blob", strings.Repeat("x", 1200))
	require.Len(t, m.Lint(), 1)
	assert.Equal(t, pam.LintLongToken, m.Lint()[0].Code)
}

// TestLintEstimate checks the size estimate against a real token: tok01's
// request, linted, must estimate tok01's length.
func TestLintEstimate(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(vectors.TokenByID(t, "tok01").Token)
	require.NoError(t, err)
	r := pam.NewTokenRequest(tok.TTL).AuthorizedUUID(tok.AuthorizedUUID)
	for n, p := range tok.Resources.Channels {
		r.Channel(n, p)
	}
	// Pad the request with channels until Lint warns, then check that the
	// padding needed matches the estimate's arithmetic: each "cNNN" entry
	// adds 7 CBOR bytes.
	count := 0
	for ; count < 400 && len(r.Lint()) == 0; count++ {
		r.Channel(fmt.Sprintf("c%03d", count), pam.Read)
	}
	require.NotEmpty(t, r.Lint())
	assert.InDelta(t, (pam.LongTokenChars-100)/4*3/7, count, 25)
}

func TestLintSortedAndDeterministic(t *testing.T) {
	t.Parallel()
	r := pam.NewTokenRequest(time.Minute).
		UUIDPattern("b*", pam.Get).Channel("z*", pam.Read).ChannelPattern("a*", pam.Read).
		Channel("^y", pam.Read).ChannelGroupPattern("(g)", pam.Read)
	first := r.Lint()
	for range 20 {
		assert.Equal(t, first, r.Lint())
	}
	assert.Equal(t, []string{
		"no-authorized-uuid ",
		"regexp-in-name ^y", "regexp-in-name z*",
		"glob-pattern a*", "unanchored-pattern a*",
		"capturing-group (g)", "unanchored-pattern (g)",
		"glob-pattern b*", "unanchored-pattern b*",
	}, func() []string {
		var out []string
		for _, w := range first {
			out = append(out, string(w.Code)+" "+w.Name)
		}
		return out
	}())
}

// TestLintNeverBlocks checks that Lint leaves the request as it was: it
// only advises.
func TestLintNeverBlocks(t *testing.T) {
	t.Parallel()
	r := pam.NewTokenRequest(time.Minute).ChannelPattern("room-*", pam.Read).Meta("k", "v")
	before := fmt.Sprintf("%#v", *r)
	require.NotEmpty(t, r.Lint())
	assert.Equal(t, before, fmt.Sprintf("%#v", *r))
	var nilReq *pam.TokenRequest
	assert.Nil(t, nilReq.Lint())
}

// An empty meta key is valid (the service takes any JSON object as meta),
// so Validate accepts it and Lint only advises, as a request-wide warning.
func TestLintEmptyMetaKey(t *testing.T) {
	t.Parallel()
	r := pam.NewTokenRequest(time.Minute).AuthorizedUUID("u").Channel("a", pam.Read).Meta("", "x").Meta("k", 1)
	require.NoError(t, r.Validate())
	ws := r.Lint()
	require.Len(t, ws, 1)
	assert.Equal(t, pam.LintEmptyMetaKey, ws[0].Code)
	assert.True(t, ws[0].Request)
	assert.Empty(t, ws[0].Name)
	assert.Contains(t, ws[0].Message, "the service accepts it")
	assert.Empty(t, pam.NewTokenRequest(time.Minute).AuthorizedUUID("u").Channel("a", pam.Read).Meta("k", "").Lint(),
		"an empty value is no empty key")
}

// Request-wide warnings come first and say so; warnings about entries carry
// their type, name and kind. WarningCode is a named string type whose
// constants convert to strings.
func TestWarningScope(t *testing.T) {
	t.Parallel()
	ws := pam.NewTokenRequest(time.Minute).Meta("", 1).ChannelGroupPattern("g*", pam.Read).Lint()
	type scope struct {
		Request bool
		Type    pam.ResourceType
		Pattern bool
		Name    string
		Code    string
	}
	var got []scope
	for _, w := range ws {
		got = append(got, scope{w.Request, w.Type, w.Pattern, w.Name, string(w.Code)})
	}
	assert.Equal(t, []scope{
		{Request: true, Code: "empty-meta-key"},
		{Request: true, Code: "no-authorized-uuid"},
		{Type: pam.ChannelGroup, Pattern: true, Name: "g*", Code: "glob-pattern"},
		{Type: pam.ChannelGroup, Pattern: true, Name: "g*", Code: "unanchored-pattern"},
	}, got)
	code := pam.LintGlobPattern // a WarningCode: the string conversions below need it typed
	assert.Equal(t, "glob-pattern", string(code))
	assert.Equal(t, "glob-pattern", fmt.Sprint(code))
}
