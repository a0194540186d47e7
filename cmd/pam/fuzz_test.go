package main

import (
	"slices"
	"strings"
	"testing"
)

// FuzzRun runs the CLI on arbitrary arguments (separated by NUL) and
// standard input: every run ends with exit code 0, 1 or 2, and nothing but
// JSON output (--json, --dry-run) carries a character that could drive a
// terminal. serve is left out: it would listen.
func FuzzRun(f *testing.F) {
	for _, seed := range []struct{ args, stdin string }{
		{"parse\x00" + tok01, ""},
		{"parse\x00-", tok01},
		{"parse\x00--json\x00-", "qEF2AkF0GmEI03xDdHRs"},
		{"check\x00" + tok01 + "\x00--channel\x00channel-1\x00--perm\x00read\x00--uuid\x00test-authorized-uuid\x00--at\x00" + tok01At, ""},
		{"check\x00" + tok01 + "\x00--group\x00g\x00--perm\x00read,,manage", ""},
		{"grant\x00--ttl\x0015m\x00--channel\x00room-*=read\x00--channel-pattern\x00(a)=read\x00--meta\x00n:=5\x00--dry-run", ""},
		{"grant\x00--ttl\x009007199254784192\x00--meta\x00x:=1e999", ""},
		{"grant\x00--ttl\x007d\x00--uuid-resource\x00u=get\x00--authorized-uuid=", ""},
		{"help\x00help", ""},
		{"-h\x00-h", ""},
		{"--version", ""},
		{"revoke\x00-", "x"},
	} {
		f.Add(seed.args, seed.stdin)
	}
	f.Fuzz(func(t *testing.T, joined, stdin string) {
		args := strings.Split(joined, "\x00")
		if args[0] == "serve" {
			return
		}
		r := pamRun(t, nil, stdin, args...)
		if r.code < exitOK || r.code > exitError {
			t.Fatalf("exit code %d", r.code)
		}
		if crashText.MatchString(r.stdout + r.stderr) {
			t.Fatalf("crash text in %q %q", r.stdout, r.stderr)
		}
		assertNoControl(t, r.stderr)
		if !slices.ContainsFunc(args, func(a string) bool {
			return strings.HasPrefix(a, "--json") || strings.HasPrefix(a, "--dry-run") || strings.HasPrefix(a, "-json") || strings.HasPrefix(a, "-dry-run")
		}) {
			assertNoControl(t, r.stdout)
		}
	})
}
