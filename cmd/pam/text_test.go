package main

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFieldAndEscapeLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, field, line string
	}{
		{"room-1", "room-1", "room-1"},
		{"é ü 中文 🙂", "é ü 中文 🙂", "é ü 中文 🙂"},
		{"", `""`, ""},
		{`"quoted"`, `"\"quoted\""`, `"quoted"`},
		{"a\nchannel  admin-*  read", `"a\nchannel  admin-*  read"`, `a\nchannel  admin-*  read`},
		{"\x1b[8mhidden\x1b[0m", `"\x1b[8mhidden\x1b[0m"`, `\x1b[8mhidden\x1b[0m`},
		{"\x1b]0;title\x07", `"\x1b]0;title\a"`, `\x1b]0;title\a`},
		{"tab\there", `"tab\there"`, `tab\there`},
		{"\u009b31m", `"\u009b31m"`, `\u009b31m`},
		{"evil\u202egnp.exe", `"evil\u202egnp.exe"`, `evil\u202egnp.exe`},
		{"bad\xffutf8", `"bad\xffutf8"`, `bad\xffutf8`},
		{"del\x7f", `"del\x7f"`, `del\x7f`},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.field, field(tt.in))
			assert.Equal(t, tt.line, escapeLine(tt.in))
			if tt.field != tt.in {
				back, err := strconv.Unquote(field(tt.in))
				assert.NoError(t, err)
				assert.Equal(t, tt.in, back, "a quoted field reads back")
			}
		})
	}
}
