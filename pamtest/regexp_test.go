package pamtest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckPattern(t *testing.T) {
	t.Parallel()
	const multiple = "Syntax error: multiple repeat."
	tests := []struct{ pattern, want string }{
		{`^channel-\S*$`, ""},
		{`^:channel_group-\S*$`, ""},
		{`^room-[a-z0-9]+$`, ""},
		{`^(?:room|lobby)-.*$`, ""},
		{`(?i)^room$`, ""},
		{`^(?i:room)$`, ""},
		{`a+?`, ""},
		{`a*?b??`, ""},
		{`a{2,3}?`, ""},
		{`[(]x[)]`, ""},
		{`\(literal\)`, ""},
		{`[]()]`, ""},
		{`[^](]`, ""},
		{`[[:alpha:]]+`, ""},
		{`\Q(a)\E`, ""},
		{`!<[^>]+>++`, multiple},
		{`a++`, multiple},
		{`a*+`, multiple},
		{`a+*`, multiple},
		{`a**`, multiple},
		{`a{2}+`, multiple},
		{`a{2}{3}`, multiple},
		{`a???`, multiple},
		{`(!<[^>]+>)+`, detailNonCapturing},
		{`^(room)$`, detailNonCapturing},
		{`^(?P<name>room)$`, detailNonCapturing},
		{`^(?<name>room)$`, detailNonCapturing},
		{`[(](x)`, detailNonCapturing},
		{`*a`, "Syntax error: nothing to repeat."},
		{`(?:a`, "Syntax error: missing ), unterminated subpattern."},
		{`a)`, "Syntax error: unbalanced parenthesis."},
		{`[a-`, "Syntax error: unterminated character set."},
		{`\8`, "Syntax error: bad escape."},
		{`a\`, "Syntax error: bad escape."},
		{`[z-a]`, "Syntax error: bad character range."},
		{`a{1001}`, "Syntax error: invalid repeat count."},
		{`^(?!admin).*$`, "Syntax error: unsupported group syntax (pamtest accepts RE2 syntax only)."},
		{"\xff", "Syntax error: invalid UTF-8."},
		{`1.{0,1000}~`, detailTooComplex + "its program is estimated at more than 2000 instructions, over the limit of 1000."},
		{`(?i)[\x{4E00}-\x{9FFF}]`, detailTooComplex + "its Unicode classes and case-folded ranges are too costly to parse."},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, checkPattern(tc.pattern))
		})
	}
}

// TestEnforcementMatchesWholeName: a publish is allowed by a pattern that
// matches the whole channel name, however the pattern is written: \Q left
// open, flags and alternations cannot make it match more or less.
func TestEnforcementMatchesWholeName(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	tests := []struct {
		pattern, channel string
		allowed          bool
	}{
		{`room-.*`, "room-1", true},
		{`room-.*`, "xroom-1", false},
		{`a|b`, "b", true},
		{`a|b`, "ab", false},
		{`^\Qroom.1`, "room.1", true}, // \Q runs to the end of the pattern
		{`^\Qroom.1`, "roomx1", false},
		{`(?i)room`, "ROOM", true},
		{`(?i:r)oom`, "ROOM", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+" "+tc.channel, func(t *testing.T) {
			t.Parallel()
			tok := mustGrant(t, s, grantBody(60, nil, grants{"channels": {tc.pattern: 2}}, nil, ""))
			r := publishRaw(t, s, tc.channel, `1`, tok, "u")
			assert.Equal(t, tc.allowed, r.status == 200, string(r.body))
		})
	}
}

// TestGrantRefusesComplexPatterns: patterns over the limits pam checks
// locally get the service's 400 "Invalid RegExp", one at a time or
// together.
func TestGrantRefusesComplexPatterns(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := grantRaw(t, s, grantBody(60, nil, grants{"channels": {`^room-.{0,600}$`: 1}}, nil, ""), signedOpts{})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, v3(400, "Invalid RegExp", "grant",
		detailTooComplex+"its program needs 1211 instructions, over the limit of 1000.",
		"permissions.patterns.channels.^room-.{0,600}$", "body"), string(r.body))

	// About 820 units each: within the limits one by one, over them
	// together from 13 on.
	patterns := func(n int) grants {
		g := grants{"channels": {}}
		for i := range n {
			g["channels"][fmt.Sprintf("^%02d.{0,400}$", i)] = 1
		}
		return g
	}
	r = grantRaw(t, s, grantBody(60, nil, patterns(13), nil, ""), signedOpts{})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, v3(400, "Invalid RegExp", "grant", detailTooComplexTogether, "permissions.patterns", "body"), string(r.body))
	mustGrant(t, s, grantBody(60, nil, patterns(12), nil, ""))
}
