package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pamkit/pam/internal/authz/authztest"
)

// forgedToken is the token of the issue anyone can make: 1,200 channel
// patterns like "17.{0,1000}~", each over the limit of what pam checks
// locally.
func forgedToken(t testing.TB) string {
	t.Helper()
	s, err := authztest.ForgedToken("%d.{0,1000}~", 1200)
	require.NoError(t, err)
	return s
}

// TestCheckForgedToken: check answers a forged token's patterns with
// "too complex to check locally", from stdin as from an argument.
func TestCheckForgedToken(t *testing.T) {
	t.Parallel()
	tok := forgedToken(t)
	r := pamRun(t, nil, tok, "check", "-", "--channel", "17~", "--perm", "read")
	assert.Equal(t, exitDenied, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "denied: "), r.stdout)
	assert.Contains(t, r.stdout, "1200 patterns that would grant it are too complex to check locally")
}

// BenchmarkCheckForgedToken: `pam check` on the forged token, reading it
// from stdin, parsing it and deciding.
func BenchmarkCheckForgedToken(b *testing.B) {
	tok := forgedToken(b)
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		e := &env{stdin: strings.NewReader(tok), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
		if code := run(context.Background(), []string{"check", "-", "--channel", "17~", "--perm", "read"}, e); code != exitDenied {
			b.Fatalf("exit %d: %s", code, out.String())
		}
	}
}
