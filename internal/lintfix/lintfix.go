// Package lintfix holds the rewrites the grant linter suggests for names and
// patterns, so that the library's TokenRequest.Lint and the pam command,
// which words the same warnings in terms of its flags, suggest the same fix.
package lintfix

import (
	"regexp"
	"strings"
)

// globMeta turns the quoted glob characters back into their regular
// expression reading.
var globMeta = strings.NewReplacer(`\*`, ".*", `\?`, ".")

// Glob turns a glob (* and ?) into the anchored regular expression that
// matches the same names: "room-*" becomes "^room-.*$".
func Glob(glob string) string {
	return "^" + globMeta.Replace(regexp.QuoteMeta(glob)) + "$"
}

// Anchor adds the ^ and $ a pattern lacks, so that it matches whole names
// only: "room" becomes "^room$". A final escaped dollar (\$) is a literal,
// not an anchor.
func Anchor(pat string) string {
	if !strings.HasPrefix(pat, "^") {
		pat = "^" + pat
	}
	if !strings.HasSuffix(pat, "$") || strings.HasSuffix(pat, `\$`) {
		pat += "$"
	}
	return pat
}
