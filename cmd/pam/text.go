package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text that comes from a token (uuids, names, meta) or from the command
// line is printed so that it cannot drive the terminal: a control
// character, an escape sequence, a line break or a bidirectional override
// would otherwise hide or forge what pam prints.

// printable reports whether s is valid UTF-8 made only of printable
// characters (letters, marks, numbers, punctuation, symbols and the ASCII
// space, as strconv.IsPrint has them).
func printable(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !strconv.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}

// field returns s as a table cell: as it is when printable, quoted (as %q
// does) when not, or when empty or quoted-looking, so that every quoted
// cell reads back as a Go string.
func field(s string) string {
	if s != "" && !strings.HasPrefix(s, `"`) && printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// maxQuoted is how much of an argument a message repeats.
const maxQuoted = 80

// quote returns s quoted as %q does; past maxQuoted bytes it is cut, and the
// quote says how long s was.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// escapeLine returns s with every character that is not printable
// (including line breaks and tabs) written as %q writes it, without
// quotes: a message printed with it stays one line of plain text.
func escapeLine(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&15, 16))
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}
