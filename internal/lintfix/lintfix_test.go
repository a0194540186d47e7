package lintfix

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		glob, want string
		matches    []string
		not        []string
	}{
		{"room-*", `^room-.*$`, []string{"room-", "room-1", "room-a.b"}, []string{"xroom-1", "room"}},
		{"*-lobby", `^.*-lobby$`, []string{"-lobby", "eu-lobby"}, []string{"eu-lobby-2"}},
		{"a?c", `^a.c$`, []string{"abc", "a-c"}, []string{"ac", "abbc"}},
		{"v1.2*", `^v1\.2.*$`, []string{"v1.2", "v1.23"}, []string{"v1x2"}},
		{"(a)+[b]", `^\(a\)\+\[b\]$`, []string{"(a)+[b]"}, []string{"ab"}},
		{"", `^$`, []string{""}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.glob, func(t *testing.T) {
			t.Parallel()
			got := Glob(tt.glob)
			assert.Equal(t, tt.want, got)
			re := regexp.MustCompile(got)
			for _, m := range tt.matches {
				assert.True(t, re.MatchString(m), m)
			}
			for _, m := range tt.not {
				assert.False(t, re.MatchString(m), m)
			}
		})
	}
}

func TestAnchor(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"room":    "^room$",
		"^room":   "^room$",
		"room$":   "^room$",
		"^room$":  "^room$",
		`price\$`: `^price\$$`,
		"":        "^$",
	} {
		assert.Equal(t, want, Anchor(in), in)
	}
}
