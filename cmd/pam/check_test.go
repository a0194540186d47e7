package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
