package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun runs the walkthrough against the emulator and checks its key
// lines.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	require.NoError(t, run(ctx, &out, func(string) string { return "" }))
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"pam quickstart against the pamtest emulator at http://127.0.0.1:",
		"3. user-1 publishes to room-1\n   local check (Token.Authorize): allowed\n   service: 200 Sent (timetoken ",
		"4. user-1 publishes to lobby-42 (the pattern grants read, not write)\n   local check (Token.Authorize): denied: ",
		"   service: 403 Forbidden (channels: lobby-42)\n",
		"5. Revoke the token\n   revoked\n",
		"6. user-1 publishes to room-1 again\n   service: 403 Token is revoked.\n",
	} {
		assert.Contains(t, got, want)
	}
	for _, want := range []string{
		`(?m)^   version: +2$`,
		`(?m)^   issued at: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`,
		`(?m)^   ttl: +15m0s \(expires \S+\)$`,
		`(?m)^   authorized uuid: +user-1$`,
		`(?m)^   channel room-1: +read\|write$`,
		`(?m)^   channel pattern \^lobby-\[a-z0-9\]\+\$: read$`,
		`(?m)^   meta plan: +pro$`,
	} {
		assert.Regexp(t, want, got)
	}
	assert.NotRegexp(t, `[A-Za-z0-9_-]{40,}`, got, "no whole token in the output")
}
