package pamtest

import (
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
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, checkPattern(tc.pattern))
		})
	}
}

func TestMatchPatternWholeName(t *testing.T) {
	t.Parallel()
	h := newHandler(newConfig(nil))
	assert.True(t, h.matchPattern(`room-.*`, "room-1"))
	assert.False(t, h.matchPattern(`room-.*`, "xroom-1"), "patterns match the whole name")
	assert.True(t, h.matchPattern(`a|b`, "b"), "alternation is grouped before anchoring")
	assert.False(t, h.matchPattern(`a|b`, "ab"))
	assert.False(t, h.matchPattern(`(`, "("), "a pattern that does not compile matches nothing")
}
