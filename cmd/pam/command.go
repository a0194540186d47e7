package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// action runs a command once its flags are parsed, with its positional
// arguments.
type action func(ctx context.Context, pos []string, e *env) int

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after "pam NAME"
	summary string // one line for "pam help"
	about   string // the paragraph of "pam NAME -h"
	// define declares the command's flags on fs and returns what runs the
	// command once they are parsed.
	define func(fs *flag.FlagSet) action
}

var commands []command

func init() {
	commands = []command{
		{"parse", "TOKEN|- [--json]", "decode a token and print what it grants",
			"Decode a token and print what it grants; - reads the token from standard input. " +
				"Characters that could disturb a terminal (control characters, escape sequences) are printed quoted, as Go's %q does.",
			defineParse},
		{"check", "TOKEN|- (--channel|--group|--uuid-resource) NAME --perm PERMS [--uuid UUID] [--at TIME]",
			"say whether a token allows an access, and why not (offline)",
			"Say whether the token allows the access: exit 0 when it does, 1 when it does not, with the reason. " +
				"The check is offline: it reads the token's grants, expiry and authorized uuid, " +
				"but cannot see whether the token was revoked, nor verify its signature (only the service holds its key).",
			defineCheck},
		{"grant", "--ttl DURATION [flags]", "mint a token (needs the secret key)",
			"Mint a token and print it. --dry-run prints the request body instead and sends nothing. " +
				"Everything is checked before anything is printed or sent; warnings go to standard error.",
			defineGrant},
		{"revoke", "TOKEN|-", "revoke a token (needs the secret key)",
			"Revoke the token, so that the service refuses it from now on; - reads it from standard input.",
			defineRevoke},
		{"serve", "[--addr 127.0.0.1:8090] [--keys-from-env]", "run the local Access Manager emulator",
			"Run the local Access Manager emulator until interrupted, and print its keys and origin as shell export lines. " +
				"The keys are fresh unless --keys-from-env is given.",
			defineServe},
		{"version", "", "print the version of pam", "Print the version of pam, and the Go toolchain and commit it was built from.",
			func(*flag.FlagSet) action { return runVersion }},
	}
}

// flagSet returns the command's flag set, quiet: pam prints help and
// errors itself.
func (c *command) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("pam "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// run parses the command's flags and runs it.
func (c *command) run(ctx context.Context, args []string, e *env) int {
	fs := c.flagSet()
	act := c.define(fs)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(e.stdout)
		return exitOK
	}
	if err != nil {
		return usageError(e, c.name, "%s", flagError(err))
	}
	return act(ctx, pos, e)
}

// parseArgs parses flags and positional arguments in any order ("pam check
// TOKEN --channel c" as well as "pam check --channel c TOKEN"); after "--"
// everything is positional.
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagErrors rewrite the flag package's messages in the CLI's words, with
// flags written --name. In the replacement, $v is the value the user gave,
// quoted (and cut when long); "$$" is how a regexp replacement writes "$".
var flagErrors = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^flag provided but not defined: -+(.*)$`), "unknown flag --$1"},
	{regexp.MustCompile(`^flag needs an argument: -+(.*)$`), "--$1 needs a value"},
	{regexp.MustCompile(`^invalid boolean value (".*") for -+([^ :]+): .*$`), "--$2 takes no value (or true or false), not $$v"},
	{regexp.MustCompile(`^invalid boolean flag -*([^ :]+): .*$`), "--$1 takes no value (or true or false)"},
	{regexp.MustCompile(`^invalid value (".*") for flag -+([^ :]+): (.*)$`), "--$2 $$v: $3"},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "bad flag syntax $$v; write --name or --name=VALUE"},
}

// flagError returns a flag parsing error in the CLI's words.
func flagError(err error) string {
	msg := err.Error()
	for _, fe := range flagErrors {
		m := fe.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		v := m[1]
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		out := fe.re.ReplaceAllString(msg, fe.repl)
		return strings.Replace(out, "$v", quote(v), 1)
	}
	return msg
}

// maxMessage bounds a message's length: arguments are repeated cut (see
// quote), but an unknown flag's name is repeated whole.
const maxMessage = 1000

// usageError prints a one-line error and where to find the usage, and
// returns exitUsage.
func usageError(e *env, cmd, format string, args ...any) int {
	msg := escapeLine(fmt.Sprintf(format, args...))
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	fmt.Fprintf(e.stderr, "pam %s: %s\n", cmd, msg)
	fmt.Fprintf(e.stderr, "Run \"pam %s -h\" for usage.\n", cmd)
	return exitUsage
}

// fail prints an error that is not about usage and returns exitError.
func fail(e *env, err error) int {
	msg := err.Error()
	if !strings.HasPrefix(msg, "pam") {
		msg = "pam: " + msg
	}
	fmt.Fprintln(e.stderr, escapeLine(msg))
	return exitError
}
