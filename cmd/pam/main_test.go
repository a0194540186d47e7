package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// argsVar, when set, makes the test binary run the CLI's main function with
// the JSON-encoded arguments instead of the tests: see TestMainProcess.
const argsVar = "PAMCLI_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if js := os.Getenv(argsVar); js != "" {
		var args []string
		if err := json.Unmarshal([]byte(js), &args); err != nil {
			panic(err)
		}
		debug.SetMaxStack(64 << 20) // a runaway recursion fails in milliseconds, not at 1 GB
		os.Args = append([]string{"pam"}, args...)
		main()
		return
	}
	os.Exit(m.Run())
}

// tok01 is the contract token every official SDK tests with.
const tok01 = "qEF2AkF0GmEI03xDdHRsGDxDcmVzpURjaGFuoWljaGFubmVsLTEY70NncnChb2NoYW5uZWxfZ3JvdXAtMQVDdXNyoENzcGOgRHV1aWShZnV1aWQtMRhoQ3BhdKVEY2hhbqFtXmNoYW5uZWwtXFMqJBjvQ2dycKF0XjpjaGFubmVsX2dyb3VwLVxTKiQFQ3VzcqBDc3BjoER1dWlkoWpedXVpZC1cUyokGGhEbWV0YaBEdXVpZHR0ZXN0LWF1dGhvcml6ZWQtdXVpZENzaWdYIPpU-vCe9rkpYs87YUrFNWkyNq8CVvmKwEjVinnDrJJc"

// tok01At is a moment inside tok01's hour of validity.
const tok01At = "2021-08-03T05:40:00Z"

type result struct {
	code           int
	stdout, stderr string
}

// pamRun runs the CLI's main function in process with the given
// environment and input. A panic fails the test instead of the process.
func pamRun(t *testing.T, vars map[string]string, stdin string, args ...string) (r result) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return vars[k] },
	}
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("pam %q panicked: %v\n%s", args, p, debug.Stack())
		}
	}()
	code := run(context.Background(), args, e)
	return result{code, out.String(), errOut.String()}
}

// crashText is what a crash of a Go program prints.
var crashText = regexp.MustCompile(`panic:|fatal error:|goroutine \d+ \[|runtime\.`)

// TestNoInputCrashes runs the CLI over hostile input: every run ends with
// an exit code of 0, 1 or 2 and a message, never a crash.
func TestNoInputCrashes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 1<<20)
	tests := []struct {
		args  []string
		stdin string
		code  int
	}{
		{nil, "", exitUsage},
		{[]string{""}, "", exitUsage},
		{[]string{"-"}, "", exitUsage},
		{[]string{"--"}, "", exitUsage},
		{[]string{"---"}, "", exitUsage},
		{[]string{"\x00"}, "", exitUsage},
		{[]string{"\x1b]0;title\x07"}, "", exitUsage},
		{[]string{long}, "", exitUsage},
		{[]string{"help", "help", "help"}, "", exitOK},
		{[]string{"help", "help", "-h"}, "", exitOK},
		{[]string{"help", ""}, "", exitUsage},
		{[]string{"help", "\xff"}, "", exitUsage},
		{[]string{"-h", "--help", "-help"}, "", exitOK},
		{[]string{"parse"}, "", exitUsage},
		{[]string{"parse", ""}, "", exitError},
		{[]string{"parse", "-"}, "\x00\xff\x1b[2J", exitError},
		{[]string{"parse", "--json", "-"}, strings.Repeat("\xff", 100000), exitError},
		{[]string{"parse", "%"}, "", exitError},
		{[]string{"parse", "%zz"}, "", exitError},
		{[]string{"parse", strings.Repeat("%3D", 20000)}, "", exitError},
		{[]string{"parse", long}, "", exitError},
		{[]string{"parse", "--", "-x"}, "", exitError},
		{[]string{"parse", "--json=maybe", tok01}, "", exitUsage},
		{[]string{"parse", "-json", "-json", tok01}, "", exitOK},
		{[]string{"check", tok01, "--channel", "\xff\x1b", "--perm", "read", "--at", tok01At}, "", exitDenied},
		{[]string{"check", tok01, "--channel", "c", "--perm", "read", "--at", "9999-99-99T99:99:99Z"}, "", exitUsage},
		{[]string{"check", tok01, "--channel", "c", "--perm", ",,,"}, "", exitUsage},
		{[]string{"check", tok01, "--channel", "c", "--perm", "read", "--at", "0001-01-01T00:00:00Z"}, "", exitDenied},
		{[]string{"check", tok01, "--channel", "c", "--perm", "read", "--at", "9999-12-31T23:59:59Z"}, "", exitDenied},
		{[]string{"check", tok01, "--channel"}, "", exitUsage},
		{[]string{"grant", "--ttl", "-9223372036854775808", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "9223372036854775807", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "99999999999999999999999", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "9007199254784192", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "2562048h", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "1e9h", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "99999999999999999999d", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "", "--channel", "a=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "=", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "\xff=read", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read,,write", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--group", "g=write", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read", "--meta", ":=", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read", "--meta", "x:=1e999", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read", "--meta", "x:=[1,[2]]", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read", "--meta", `x:="\ud800"`, "--dry-run"}, "", exitOK},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read", "--meta", "\xff=1", "--dry-run"}, "", exitUsage},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read", "--meta", "=1", "--dry-run"}, "", exitOK}, // an empty key is valid
		{[]string{"grant", "--ttl", "15m", "--channel-pattern", "((((((=read", "--dry-run"}, "", exitOK},
		{[]string{"grant", "--ttl", "15m", "--channel", strings.Repeat("x", 100000) + "=read", "--dry-run"}, "", exitOK},
		{[]string{"grant", "--ttl", "15m", "--channel", "a=read"}, "", exitError},
		{[]string{"grant", "--dry-run=maybe"}, "", exitUsage},
		{[]string{"revoke", "x"}, "", exitError},
		{[]string{"revoke", "-"}, long, exitError},
		{[]string{"serve", "--max-ttl", "0"}, "", exitUsage},
		{[]string{"serve", "--max-ttl", "-1"}, "", exitUsage},
		{[]string{"serve", "--max-ttl", "99999999999999999999"}, "", exitUsage},
		{[]string{"serve", "--addr", "not an address"}, "", exitUsage},
		{[]string{"serve", "--addr", "256.0.0.1:1"}, "", exitUsage},
		{[]string{"serve", "stray"}, "", exitUsage},
		{[]string{"version", "x"}, "", exitUsage},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%.60q", tt.args)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, tt.stdin, tt.args...)
			assert.Equal(t, tt.code, r.code, "stdout %.300q\nstderr %.300q", r.stdout, r.stderr)
			assert.NotRegexp(t, crashText, r.stdout+r.stderr)
			if r.code != exitOK {
				assert.NotEmpty(t, r.stderr+r.stdout, "a failure says why")
			}
			assertNoControl(t, r.stderr)
			if !slices.Contains(tt.args, "--json") {
				assertNoControl(t, r.stdout)
			}
		})
	}
}

// assertNoControl checks that s holds no character that could drive a
// terminal: C0 and C1 controls other than newline, DEL, and bidirectional
// overrides.
func assertNoControl(t *testing.T, s string) {
	t.Helper()
	for i, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("control character %U at byte %d of %.200q", r, i, s)
			return
		}
	}
}

// TestMainProcess runs main itself, in a child process, on three of the
// inputs that used to crash the program (a stack overflow, a panic, an
// overflow): each exits with its code and never prints a stack. The rest
// of the inputs run in process, in TestNoInputCrashes and TestHelp.
func TestMainProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		out  string // on stdout
		err  string // on stderr
	}{
		{[]string{"help", "help"}, exitOK, "Usage: pam COMMAND", ""},
		{[]string{"serve", "--max-ttl", "0"}, exitUsage, "", `pam serve: --max-ttl "0": a ttl is between 1 minute and 30 days (43200 minutes)`},
		{[]string{"grant", "--ttl", "9007199254784192", "--channel", "a=read", "--dry-run"}, exitUsage, "", "between 1 minute and 30 days (43200 minutes)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			js, err := json.Marshal(tt.args)
			require.NoError(t, err)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), argsVar+"="+string(js))
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err = cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.code, code, "stderr: %.500s", errOut.String())
			assert.Contains(t, out.String(), tt.out)
			assert.Contains(t, errOut.String(), tt.err)
			assert.NotRegexp(t, crashText, out.String()+errOut.String())
		})
	}
}

// TestHelp: every form of asking for help prints it on standard output and
// exits 0; "pam help" lists every flag each "pam CMD -h" does, flags are
// written --name everywhere, and a command without flags has no Flags
// heading.
func TestHelp(t *testing.T) {
	t.Parallel()
	general := pamRun(t, nil, "", "help")
	require.Equal(t, exitOK, general.code)
	for _, form := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"-h", "-h"}, {"help", "help"}, {"help", "-h"}, {"help", "--help"}} {
		r := pamRun(t, nil, "", form...)
		assert.Equal(t, exitOK, r.code, "%q", form)
		assert.Equal(t, general.stdout, r.stdout, "%q", form)
		assert.Empty(t, r.stderr, "%q", form)
	}
	flagLine := regexp.MustCompile(`(?m)^\s+(--[a-z-]+)(?: ([A-Z=]+))?$`)
	flagsOf := func(s string) []string {
		var out []string
		for _, m := range flagLine.FindAllStringSubmatch(s, -1) {
			out = append(out, strings.TrimSpace(m[1]+" "+m[2]))
		}
		return out
	}
	sections := strings.Split(general.stdout, "\n  pam ")
	for _, c := range commands {
		var forms []result
		for _, form := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {c.name, "-help"}, {"help", c.name}} {
			r := pamRun(t, nil, "", form...)
			require.Equal(t, exitOK, r.code, "%q", form)
			forms = append(forms, r)
		}
		for _, r := range forms[1:] {
			assert.Equal(t, forms[0].stdout, r.stdout, c.name)
		}
		own := forms[0].stdout
		assert.True(t, strings.HasPrefix(own, "Usage: pam "+c.name), own)
		var section string
		for _, s := range sections {
			if strings.HasPrefix(s, c.name+" ") || strings.HasPrefix(s, c.name+"\n") {
				section = s
			}
		}
		require.NotEmpty(t, section, "pam help has a section for %s", c.name)
		assert.Equal(t, flagsOf(own), flagsOf(section), "pam help shows the flags of pam %s -h", c.name)
		if len(flagsOf(own)) == 0 {
			assert.NotContains(t, own, "Flags:", c.name)
		}
	}
	all := general.stdout
	for _, c := range commands {
		all += pamRun(t, nil, "", c.name, "-h").stdout
	}
	assert.NotRegexp(t, `(^|[\s(\[,])-[a-z]`, all, "flags are written --name")
	for _, want := range []string{"--json", "--perm", "--ttl", "--meta", "--addr", "--keys-from-env", "--max-ttl", "--revoke-disabled", "pam version", "PAM_ORIGIN"} {
		assert.Contains(t, general.stdout, want)
	}
}

// TestUsageErrors: a usage error is one line naming what is wrong, and a
// pointer to "pam CMD -h", not the whole flag list; exit 2, nothing on
// standard output.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"parse"}, "pam parse: want exactly one token"},
		{[]string{"parse", "--bogus", tok01}, "pam parse: unknown flag --bogus"},
		{[]string{"parse", "--json=2", tok01}, `pam parse: --json takes no value (or true or false), not "2"`},
		{[]string{"check", tok01, "--perm", "read"}, "name exactly one resource with --channel, --group or --uuid-resource"},
		{[]string{"check", tok01, "--channel", "c", "--group", "g", "--perm", "read"}, "name exactly one resource"},
		{[]string{"check", tok01, "--channel", "c"}, "--perm is required, e.g. --perm write"},
		{[]string{"check", tok01, "--channel", "c", "--perm", "fly"}, `--perm "fly": unknown permission "fly"`},
		{[]string{"check", tok01, "--channel", "c", "--perm", "read", "--at", "yesterday"}, `--at "yesterday" is not an RFC 3339 time`},
		{[]string{"check", tok01, "--channel"}, "pam check: --channel needs a value"},
		{[]string{"grant", "--channel", "c=read"}, "--ttl is required, e.g. --ttl 15m"},
		{[]string{"grant", "--ttl", "soon"}, `--ttl "soon": not a duration such as 15m, 2h or 7d, nor a number of minutes`},
		{[]string{"grant", "--ttl", "15m", "--channel", "noperms"}, `--channel "noperms": not NAME=PERMS`},
		{[]string{"grant", "--ttl", "15m", "--meta", "novalue"}, `--meta "novalue": not KEY=VALUE`},
		{[]string{"grant", "--ttl", "15m", "stray"}, `pam grant: unexpected argument "stray"`},
		{[]string{"revoke"}, "pam revoke: want exactly one token"},
		{[]string{"serve", "stray"}, `pam serve: unexpected argument "stray"`},
		{[]string{"serve", "--max-ttl", "abc"}, `pam serve: --max-ttl "abc": not a duration`},
		{[]string{"version", "x"}, `pam version: unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, "", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Empty(t, r.stdout)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			require.Len(t, lines, 2, r.stderr)
			assert.Contains(t, lines[0], tt.want)
			assert.Equal(t, `Run "pam `+tt.args[0]+` -h" for usage.`, lines[1])
		})
	}
	r := pamRun(t, nil, "", "frobnicate")
	assert.Equal(t, exitUsage, r.code)
	assert.Equal(t, "pam: unknown command \"frobnicate\"\nRun \"pam help\" for the commands.\n", r.stderr)
	r = pamRun(t, nil, "")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "Usage: pam COMMAND")
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
