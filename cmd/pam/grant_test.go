package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrantDryRun(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "grant", "--ttl", "15m", "--authorized-uuid", "u-1",
		"--channel", "room-1=read,write", "--channel", "room-2=read", "--channel", "room-1=join",
		"--channel-pattern", "room-*=read", "--group", "g=read,manage", "--uuid-resource", "u-1=get,update",
		"--meta", "plan=pro", "--meta", "seats:=5", "--meta", "vip:=true", "--meta", "zip=02134", "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	want := `{"ttl":15,"permissions":{"resources":{"channels":{"room-1":131,"room-2":1},"groups":{"g":5},"uuids":{"u-1":96},"users":{},"spaces":{}},` +
		`"patterns":{"channels":{"room-*":1},"groups":{},"uuids":{},"users":{},"spaces":{}},"meta":{"plan":"pro","seats":5,"vip":true,"zip":"02134"},"uuid":"u-1"}}` + "\n"
	assert.Equal(t, want, r.stdout)
	assert.Contains(t, r.stderr, `warning: glob-pattern: --channel-pattern "room-*" looks like a glob`)
	assert.Contains(t, r.stderr, `write --channel-pattern '^room-.*$=read'`)
}

// TestGrantValidatesFirst: with --dry-run or without, invalid input prints
// nothing on standard output (no body with a ttl silently cut), every
// problem on standard error, and exits 2.
func TestGrantValidatesFirst(t *testing.T) {
	t.Parallel()
	keys := map[string]string{"PAM_SUBSCRIBE_KEY": "s", "PAM_PUBLISH_KEY": "p", "PAM_SECRET_KEY": "k", "PAM_ORIGIN": "http://127.0.0.1:1"}
	tests := []struct {
		args []string
		says []string
	}{
		{[]string{"--ttl", "90s", "--group", "g=read"}, []string{`--ttl "90s": not a whole number of minutes`}},
		{[]string{"--ttl", "15m", "--group", "g=write"}, []string{`--group "g=write": channel groups take only read, manage, not write`}},
		{[]string{"--ttl", "15m", "--uuid-resource", "u=read"}, []string{`--uuid-resource "u=read": uuids take only delete, get, update, not read`}},
		{[]string{"--ttl", "15m"}, []string{"the grant gives nothing", "e.g. --channel room-1=read"}},
		{[]string{"--ttl", "15m", "--channel", "a=read", "--meta", "k=\xff"}, []string{`--meta: meta "k": the string is not valid UTF-8`}},
		{[]string{"--ttl", "15m", "--channel", "a=read", "--authorized-uuid", ""}, []string{"--authorized-uuid is empty"}},
	}
	for _, tt := range tests {
		for _, dry := range []bool{true, false} {
			args := append([]string{"grant"}, tt.args...)
			if dry {
				args = append(args, "--dry-run")
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				r := pamRun(t, keys, "", args...)
				assert.Equal(t, exitUsage, r.code)
				assert.Empty(t, r.stdout)
				for _, s := range tt.says {
					assert.Contains(t, r.stderr, s)
				}
				assert.NotContains(t, r.stderr, "warning:", "problems first, no advice on a request that cannot go")
				assert.NotRegexp(t, goWords, r.stderr)
			})
		}
	}
}

func TestParseTTL(t *testing.T) {
	t.Parallel()
	const outOfRange = "a ttl is between 1 minute and 30 days (43200 minutes)"
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"15", 15 * time.Minute, ""},
		{"15m", 15 * time.Minute, ""},
		{"2h", 2 * time.Hour, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"30d", 30 * 24 * time.Hour, ""},
		{"43200", 43200 * time.Minute, ""},
		{"720h", 720 * time.Hour, ""},
		{"1m", time.Minute, ""},
		{" 5 ", 5 * time.Minute, ""},
		{"0", 0, outOfRange},
		{"-5", 0, outOfRange},
		{"43201", 0, outOfRange},
		{"31d", 0, outOfRange},
		{"721h", 0, outOfRange},
		{"30s", 0, outOfRange},
		{"-15m", 0, outOfRange},
		{"9007199254784192", 0, outOfRange},
		{"9223372036854775807", 0, outOfRange},
		{"99999999999999999999999", 0, outOfRange},
		{"9007199254784192m", 0, outOfRange},
		{"2562048h", 0, outOfRange},
		{"99999999999999999999d", 0, outOfRange},
		{"90s", 0, "not a whole number of minutes"},
		{"1.5m", 0, "not a whole number of minutes"},
		{"soon", 0, "not a duration"},
		{"", 0, "not a duration"},
		{"1.5d", 0, "not a duration"},
		{"0x10", 0, "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, err := parseTTL(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, d)
		})
	}
	r := pamRun(t, nil, "", "grant", "--ttl", "9007199254784192", "--channel", "a=read", "--dry-run")
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout, "no token, no body")
	assert.Contains(t, r.stderr, `pam grant: --ttl "9007199254784192": `+outOfRange)
}

// TestGrantMeta: --meta values are strings exactly as typed; KEY:=JSON
// gives a typed value, integers exact to 64 bits.
func TestGrantMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg  string
		want string // the meta object in the body, or "" for an error
		err  string
	}{
		{"s=05", `{"s":"05"}`, ""},
		{"id=12345678901234567890", `{"id":"12345678901234567890"}`, ""},
		{"x=NaN", `{"x":"NaN"}`, ""},
		{"t=true", `{"t":"true"}`, ""},
		{"e=", `{"e":""}`, ""},
		{"k==v", `{"k":"=v"}`, ""},
		{"a:b=c", `{"a:b":"c"}`, ""},
		{"n:=5", `{"n":5}`, ""},
		{"n:=-5", `{"n":-5}`, ""},
		{"id:=12345678901234567890", `{"id":12345678901234567890}`, ""},
		{"max:=18446744073709551615", `{"max":18446744073709551615}`, ""},
		{"min:=-9223372036854775808", `{"min":-9223372036854775808}`, ""},
		{"f:=1.5", `{"f":1.5}`, ""},
		{"b:=false", `{"b":false}`, ""},
		{"z:=null", `{"z":null}`, ""},
		{`q:="05"`, `{"q":"05"}`, ""},
		{"x:=NaN", "", `the value after ":=" is not JSON`},
		{"big:=123456789012345678901234567890", "", "does not fit 64 bits"},
		{"neg:=-9223372036854775809", "", "does not fit 64 bits"},
		{"inf:=1e999", "", "out of range"},
		{"arr:=[1]", "", "objects and arrays cannot be granted"},
		{`obj:={"a":1}`, "", "objects and arrays cannot be granted"},
		{"two:=1 2", "", "more than one JSON value"},
		{"novalue", "", "not KEY=VALUE"},
		{"=x", `{"":"x"}`, ""}, // an empty key is valid; Lint advises (TestGrantEmptyMetaKey)
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, "", "grant", "--ttl", "15m", "--authorized-uuid", "u", "--channel", "a=read", "--meta", tt.arg, "--dry-run")
			if tt.err != "" {
				assert.Equal(t, exitUsage, r.code)
				assert.Empty(t, r.stdout)
				assert.True(t, strings.HasPrefix(r.stderr, `pam grant: --meta `+quote(tt.arg)+`: `), r.stderr)
				assert.Contains(t, r.stderr, tt.err)
				return
			}
			require.Equal(t, exitOK, r.code, r.stderr)
			var body struct {
				Permissions struct {
					Meta json.RawMessage `json:"meta"`
				} `json:"permissions"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &body))
			assert.Equal(t, tt.want, string(body.Permissions.Meta))
		})
	}
	h := pamRun(t, nil, "", "grant", "-h").stdout
	assert.Contains(t, h, "VALUE is a string, exactly as typed")
	assert.Contains(t, h, "KEY:=JSON")
}

// TestGrantEmptyMetaKey: the service takes any JSON object as meta, so an
// empty key is granted as pam and the emulator grant it, with advice in
// the CLI's words.
func TestGrantEmptyMetaKey(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "grant", "--ttl", "15m", "--authorized-uuid", "u", "--channel", "a=read", "--meta", "=x", "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"meta":{"":"x"}`)
	assert.Equal(t, `warning: empty-meta-key: a --meta key is empty (--meta "=VALUE"); the service accepts it and the token keeps it, `+
		"but it is easy to miss and usually a mistake: check the --meta flags\n", r.stderr)
}

func TestGrantNeedsKeys(t *testing.T) {
	t.Parallel()
	r := pamRun(t, map[string]string{"PAM_SUBSCRIBE_KEY": "s"}, "", "grant", "--ttl", "15", "--channel", "c=read")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "set PAM_PUBLISH_KEY, PAM_SECRET_KEY")
	r = pamRun(t, nil, "", "revoke", tok01)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "PAM_SUBSCRIBE_KEY")
	r = pamRun(t, map[string]string{"PAM_SUBSCRIBE_KEY": "s", "PAM_PUBLISH_KEY": "p", "PAM_SECRET_KEY": "k", "PAM_ORIGIN": "ftp://x"}, "", "revoke", tok01)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, `pam: PAM_ORIGIN "ftp://x" is not an address pam can use`)
	assert.NotRegexp(t, goWords, r.stderr)
}
