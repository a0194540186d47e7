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

func TestCheck(t *testing.T) {
	t.Parallel()
	at := "--at=" + tok01At
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"exact channel", []string{tok01, "--channel", "channel-1", "--perm", "write", "--uuid", "test-authorized-uuid", at}, 0,
			[]string{"allowed: channel \"channel-1\" has an exact entry", offlineNote}},
		{"pattern channel", []string{"--channel", "channel-99", "--perm", "read,join", "--uuid", "test-authorized-uuid", at, tok01}, 0,
			[]string{"matches pattern", offlineNote}},
		{"group lacks bit", []string{tok01, "--group", "channel_group-1", "--perm", "write", "--uuid", "test-authorized-uuid", at}, 1,
			[]string{"denied: "}},
		{"uuid resource", []string{tok01, "--uuid-resource", "uuid-1", "--perm", "get,update", "--uuid", "test-authorized-uuid", at}, 0,
			[]string{"allowed: ", offlineNote}},
		{"no match", []string{tok01, "--channel", "chanel-1", "--perm", "read", "--uuid", "test-authorized-uuid", at}, 1,
			[]string{`nearest: channel "channel-1"`}},
		{"uuid mismatch", []string{tok01, "--channel", "channel-1", "--perm", "read", "--uuid", "someone-else", at}, 1,
			[]string{`bound to uuid "test-authorized-uuid", not "someone-else"`}},
		{"uuid missing names --uuid", []string{tok01, "--channel", "channel-1", "--perm", "read", at}, 1,
			[]string{`denied: the token is bound to uuid "test-authorized-uuid" and no --uuid was given; ` +
				`pass the uuid of the client that uses the token, e.g. --uuid test-authorized-uuid`}},
		{"expired now", []string{tok01, "--channel", "channel-1", "--perm", "read", "--uuid", "test-authorized-uuid"}, 1,
			[]string{"denied: token expired", "for 60 minutes", "(--at checks another moment)"}},
		{"token after --", []string{"--channel", "channel-1", "--perm", "read", "--uuid", "test-authorized-uuid", at, "--", tok01}, 0,
			[]string{"allowed: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, "", append([]string{"check"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stdout+r.stderr)
			for _, o := range tt.out {
				assert.Contains(t, r.stdout, o)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if tt.code == exitDenied {
				require.Len(t, lines, 1)
				assert.True(t, strings.HasPrefix(r.stdout, "denied: "))
				assert.NotContains(t, r.stdout, offlineNote)
			} else {
				require.Len(t, lines, 2, "the answer and the offline note")
				assert.Equal(t, offlineNote, lines[1])
			}
			assert.NotRegexp(t, goWords, r.stdout+r.stderr)
		})
	}
}

// TestCheckSaysOffline: pam check's help says what it cannot see.
func TestCheckSaysOffline(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "check", "-h")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "The check is offline")
	assert.Contains(t, r.stdout, "cannot see whether the token was revoked, nor verify its signature")
	assert.Contains(t, pamRun(t, nil, "", "help").stdout, "(offline)")
}

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
