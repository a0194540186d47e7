package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tok01 is the contract token every official SDK tests with.
const tok01 = "qEF2AkF0GmEI03xDdHRsGDxDcmVzpURjaGFuoWljaGFubmVsLTEY70NncnChb2NoYW5uZWxfZ3JvdXAtMQVDdXNyoENzcGOgRHV1aWShZnV1aWQtMRhoQ3BhdKVEY2hhbqFtXmNoYW5uZWwtXFMqJBjvQ2dycKF0XjpjaGFubmVsX2dyb3VwLVxTKiQFQ3VzcqBDc3BjoER1dWlkoWpedXVpZC1cUyokGGhEbWV0YaBEdXVpZHR0ZXN0LWF1dGhvcml6ZWQtdXVpZENzaWdYIPpU-vCe9rkpYs87YUrFNWkyNq8CVvmKwEjVinnDrJJc"

// tok01At is a moment inside tok01's hour of validity.
const tok01At = "2021-08-03T05:40:00Z"

type result struct {
	code           int
	stdout, stderr string
}

// pamRun runs the CLI's main function with the given environment and input.
func pamRun(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return vars[k] },
	}
	code := run(context.Background(), args, e)
	return result{code, out.String(), errOut.String()}
}

func TestParse(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "parse", tok01)
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"version          2",
		"issued           2021-08-03T05:26:20Z",
		"ttl              60 minutes (1 hour)",
		"expires          2021-08-03T06:26:20Z (expired ",
		"authorized uuid  test-authorized-uuid",
		"channel        channel-1        read, write, manage, delete, get, update, join",
		"channel group  channel_group-1  read, manage",
		"uuid           uuid-1           delete, get, update",
		"channel        ^channel-\\S*$         read, write, manage, delete, get, update, join",
		"meta\n  (none)",
		"signature        32 bytes",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, tok01)

	// From standard input, percent-encoded.
	r2 := pamRun(t, nil, "  "+strings.ReplaceAll(tok01, "-", "%2D")+"\n", "parse", "-")
	require.Equal(t, 0, r2.code, r2.stderr)
	assert.Equal(t, r.stdout[:200], r2.stdout[:200])
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "parse", "--json", tok01)
	require.Equal(t, 0, r.code, r.stderr)
	tok, err := pam.ParseToken(tok01)
	require.NoError(t, err)
	want, err := json.Marshal(tok)
	require.NoError(t, err)
	assert.Equal(t, string(want)+"\n", r.stdout)
	assert.JSONEq(t, string(vectors.Read(t, "tok01.json")), r.stdout)
}

func TestParseDamaged(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{tok01[:100], "!!!", "", strings.Repeat("A", 40000)} {
		r := pamRun(t, nil, tok, "parse", "-")
		assert.Equal(t, exitError, r.code)
		assert.Contains(t, r.stderr, "pam: malformed token")
		assert.Empty(t, r.stdout)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	at := "--at=" + tok01At
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"exact channel", []string{tok01, "--channel", "channel-1", "--perm", "write", "--uuid", "test-authorized-uuid", at}, 0, "allowed: "},
		{"pattern channel", []string{"--channel", "channel-99", "--perm", "read,join", "--uuid", "test-authorized-uuid", at, tok01}, 0, "matches pattern"},
		{"group lacks bit", []string{tok01, "--group", "channel_group-1", "--perm", "write", "--uuid", "test-authorized-uuid", at}, 1, "denied: "},
		{"uuid resource", []string{tok01, "--uuid-resource", "uuid-1", "--perm", "get,update", "--uuid", "test-authorized-uuid", at}, 0, "allowed: "},
		{"no match", []string{tok01, "--channel", "chanel-1", "--perm", "read", "--uuid", "test-authorized-uuid", at}, 1, "channel-1"},
		{"uuid mismatch", []string{tok01, "--channel", "channel-1", "--perm", "read", "--uuid", "someone-else", at}, 1, "someone-else"},
		{"expired now", []string{tok01, "--channel", "channel-1", "--perm", "read", "--uuid", "test-authorized-uuid"}, 1, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, "", append([]string{"check"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, tt.out)
			if tt.code == 1 {
				assert.True(t, strings.HasPrefix(r.stdout, "denied: "), r.stdout)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"parse"}, "want exactly one token"},
		{[]string{"parse", "--bogus", tok01}, "flag provided but not defined: -bogus"},
		{[]string{"check", tok01, "--perm", "read"}, "name exactly one resource"},
		{[]string{"check", tok01, "--channel", "c", "--group", "g", "--perm", "read"}, "name exactly one resource"},
		{[]string{"check", tok01, "--channel", "c"}, "--perm is required"},
		{[]string{"check", tok01, "--channel", "c", "--perm", "fly"}, `unknown permission "fly"`},
		{[]string{"check", tok01, "--channel", "c", "--perm", "read", "--at", "yesterday"}, "not an RFC 3339 time"},
		{[]string{"grant", "--channel", "c=read"}, "--ttl is required"},
		{[]string{"grant", "--ttl", "soon"}, "neither a duration"},
		{[]string{"grant", "--ttl", "15m", "--channel", "noperms"}, "is not NAME=PERMS"},
		{[]string{"grant", "--ttl", "15m", "--meta", "novalue"}, "is not KEY=VALUE"},
		{[]string{"grant", "--ttl", "15m", "stray"}, `unexpected argument "stray"`},
		{[]string{"revoke"}, "want exactly one token"},
		{[]string{"serve", "stray"}, `unexpected argument "stray"`},
	}
	for _, tt := range tests {
		r := pamRun(t, nil, "", tt.args...)
		assert.Equal(t, exitUsage, r.code, "%v", tt.args)
		assert.Contains(t, r.stderr, tt.want, "%v", tt.args)
		if len(tt.args) > 0 && tt.args[0] != "frobnicate" {
			first, _, _ := strings.Cut(r.stderr, "\n")
			assert.NotContains(t, first, "\n")
			assert.Contains(t, r.stderr, "Usage: pam "+tt.args[0])
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "help")
	require.Equal(t, 0, r.code)
	for _, c := range []string{"parse", "check", "grant", "revoke", "serve", "PAM_SECRET_KEY", "PAM_ORIGIN"} {
		assert.Contains(t, r.stdout, c)
	}
	flags := map[string][]string{
		"parse":  {"-json"},
		"check":  {"-channel", "-group", "-uuid-resource", "-perm", "-uuid", "-at"},
		"grant":  {"-ttl", "-authorized-uuid", "-channel", "-channel-pattern", "-group", "-group-pattern", "-uuid-resource", "-uuid-pattern", "-meta", "-dry-run"},
		"revoke": nil,
		"serve":  {"-addr", "-max-ttl", "-revoke-disabled"},
	}
	for cmd, fl := range flags {
		for _, form := range [][]string{{cmd, "-h"}, {"help", cmd}} {
			r := pamRun(t, nil, "", form...)
			require.Equal(t, 0, r.code, "%v", form)
			assert.Contains(t, r.stdout, "Usage: pam "+cmd, "%v", form)
			for _, f := range fl {
				assert.Regexp(t, `\n  `+f+`[ \n]`, r.stdout, "%v documents %s", form, f)
			}
		}
	}
}

func TestGrantDryRun(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "grant", "--ttl", "15m", "--authorized-uuid", "u-1",
		"--channel", "room-1=read,write", "--channel", "room-2=read", "--channel", "room-1=join",
		"--channel-pattern", "room-*=read", "--group", "g=read,manage", "--uuid-resource", "u-1=get,update",
		"--meta", "plan=pro", "--meta", "seats=5", "--meta", "vip=true", "--meta", `zip="02134"`, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	want := `{"ttl":15,"permissions":{"resources":{"channels":{"room-1":131,"room-2":1},"groups":{"g":5},"uuids":{"u-1":96},"users":{},"spaces":{}},` +
		`"patterns":{"channels":{"room-*":1},"groups":{},"uuids":{},"users":{},"spaces":{}},"meta":{"plan":"pro","seats":5,"vip":true,"zip":"02134"},"uuid":"u-1"}}` + "\n"
	assert.Equal(t, want, r.stdout)
	assert.Contains(t, r.stderr, "warning: ")
	assert.Contains(t, r.stderr, "room-*")

	bad := pamRun(t, nil, "", "grant", "--ttl", "90s", "--group", "g=write", "--dry-run")
	assert.Equal(t, exitError, bad.code)
	assert.Contains(t, bad.stderr, "pam: invalid ttl")
	assert.Contains(t, bad.stderr, "pam: invalid permission")
}

func TestGrantNeedsKeys(t *testing.T) {
	t.Parallel()
	r := pamRun(t, map[string]string{"PAM_SUBSCRIBE_KEY": "s"}, "", "grant", "--ttl", "15", "--channel", "c=read")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "set PAM_PUBLISH_KEY, PAM_SECRET_KEY")
	r = pamRun(t, nil, "", "revoke", tok01)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "PAM_SUBSCRIBE_KEY")
}

func TestMetaValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]any{
		"5": int64(5), "-2": int64(-2), "1.5": 1.5, "true": true, "false": false, "null": nil,
		"pro": "pro", `"5"`: "5", "0x10": "0x10", "1_000": "1_000", "": "",
	} {
		assert.Equal(t, want, metaValue(in), in)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "sub-c-1", shellQuote("sub-c-1"))
	assert.Equal(t, "http://127.0.0.1:8090", shellQuote("http://127.0.0.1:8090"))
	assert.Equal(t, `'a b'`, shellQuote("a b"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
}

func TestHuman(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "12s", human(12*time.Second+300*time.Millisecond))
	assert.Equal(t, "4m10s", human(-(4*time.Minute + 10*time.Second)))
	assert.Equal(t, "2h5m0s", human(2*time.Hour+5*time.Minute+3*time.Second))
	assert.Equal(t, "3d4h", human(76*time.Hour))
	assert.Equal(t, "5 minutes", minutes(5*time.Minute))
	assert.Equal(t, "1 minute", minutes(time.Minute))
	assert.Equal(t, "120 minutes (2 hours)", minutes(2*time.Hour))
	assert.Equal(t, "1440 minutes (1 day)", minutes(24*time.Hour))
}

// TestServeSession runs pam serve in the background and grants, parses,
// checks and revokes against it with the CLI, as a user in a second shell
// would after eval-ing the export lines.
func TestServeSession(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, &env{
			stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
			getenv: func(string) string { return "" }, ready: func(a string) { ready <- a },
		})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errOut.String())
	}
	defer func() {
		cancel()
		assert.Equal(t, 0, <-done)
	}()

	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		require.True(t, ok, line)
		vars[k] = v
	}
	require.Len(t, vars, 4)
	assert.Equal(t, "http://"+addr, vars["PAM_ORIGIN"])
	assert.True(t, strings.HasPrefix(vars["PAM_SECRET_KEY"], "sec-c-"))

	g := pamRun(t, vars, "", "grant", "--ttl", "15m", "--authorized-uuid", "device-1",
		"--channel", "room-1=read,write", "--channel-pattern", "^lobby-[0-9]+$=read", "--meta", "plan=pro")
	require.Equal(t, 0, g.code, g.stderr)
	token := strings.TrimSpace(g.stdout)

	p := pamRun(t, vars, token, "parse", "-")
	require.Equal(t, 0, p.code, p.stderr)
	assert.Contains(t, p.stdout, "authorized uuid  device-1")
	assert.Contains(t, p.stdout, "(14m59s left)")
	assert.Contains(t, p.stdout, `plan  "pro"`)

	ok := pamRun(t, vars, "", "check", token, "--channel", "lobby-7", "--perm", "read", "--uuid", "device-1")
	assert.Equal(t, 0, ok.code, ok.stdout)
	no := pamRun(t, vars, "", "check", token, "--channel", "room-1", "--perm", "manage", "--uuid", "device-1")
	assert.Equal(t, 1, no.code, no.stdout)
	assert.Contains(t, no.stdout, "manage")

	rv := pamRun(t, vars, "", "revoke", token)
	require.Equal(t, 0, rv.code, rv.stderr)
	assert.Equal(t, "revoked\n", rv.stdout)
	again := pamRun(t, vars, "", "revoke", token)
	assert.Equal(t, exitError, again.code)
	assert.Contains(t, again.stderr, "400")
	assert.NotContains(t, again.stderr, token)
	assert.NotContains(t, again.stderr, vars["PAM_SECRET_KEY"])
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "serve", "--addr", "256.0.0.1:1")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "pam: serve:")
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
