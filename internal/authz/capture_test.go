package authz

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHasCapture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    bool
	}{
		{`^room$`, false},
		{`^(?:room|lobby)-.*$`, false},
		{`(?i)^room$`, false},
		{`^(?i:room)$`, false},
		{`[(]x[)]`, false},
		{`\(literal\)`, false},
		{`[]()]`, false},
		{`[^](]`, false},
		{`\Q(a)\E`, false},
		{`\Q(a)`, false},
		{`^(room)$`, true},
		{`^(?P<name>room)$`, true},
		{`^(?<name>room)$`, true},
		{`[(](x)`, true},
		{`(!<[^>]+>)+`, true},
		{`()`, true},
		// Patterns that do not parse are judged on their text.
		{`(a`, true},
		{`(?:a`, false},
		{`(a)**`, true},
		{`(?<=a)b`, false},
		{`(?<!a)b`, false},
		{`[(]**`, false},
		{`\Q(\E**`, false},
		{`\Q(`, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, HasCapture(tc.pattern), tc.pattern)
	}
}
