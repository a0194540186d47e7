// Command pam inspects, checks, grants and revokes PubNub Access Manager v3
// tokens, and runs a local Access Manager emulator.
//
//	pam parse TOKEN|- [--json]
//	pam check TOKEN|- (--channel NAME | --group NAME | --uuid-resource NAME) --perm PERMS [--uuid U] [--at TIME]
//	pam grant --ttl 15m [--authorized-uuid U] [--channel NAME=PERMS]... [--dry-run]
//	pam revoke TOKEN|-
//	pam serve [--addr 127.0.0.1:8090]
//
// Keys come from PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY and PAM_SECRET_KEY, the
// service's address from PAM_ORIGIN. Run "pam help" for the details.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK     = 0
	exitDenied = 1 // pam check: the token does not allow the access
	exitError  = 2 // any other failure: bad token, service error
	exitUsage  = 2 // bad flags or arguments
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// env is what a command may use of the outside world; tests substitute it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// ready, if set, is called by serve with the address it listens on.
	ready func(addr string)
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, e *env) int
}

var commands []command

func init() {
	commands = []command{
		{"parse", "TOKEN|- [--json]", "decode a token and print what it grants", runParse},
		{"check", "TOKEN|- (--channel|--group|--uuid-resource) NAME --perm PERMS [--uuid U]", "say whether a token allows an access, and why not", runCheck},
		{"grant", "--ttl DURATION [--channel NAME=PERMS]... [--dry-run]", "mint a token (needs the secret key)", runGrant},
		{"revoke", "TOKEN|-", "revoke a token (needs the secret key)", runRevoke},
		{"serve", "[--addr 127.0.0.1:8090]", "run the local Access Manager emulator", runServe},
	}
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, e)
		}
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], e)
		}
	}
	fmt.Fprintf(e.stderr, "pam: unknown command %q\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pam: PubNub Access Manager v3 tokens from the command line")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  pam %s %s\n        %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "  pam help [COMMAND]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Environment:")
	fmt.Fprintln(w, "  PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY, PAM_SECRET_KEY   the keyset (grant, revoke, serve)")
	fmt.Fprintln(w, "  PAM_ORIGIN                                            the service's address, e.g. http://127.0.0.1:8090")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Permissions are comma-separated names: read, write, manage, delete, get, update, join.")
	fmt.Fprintln(w, "Run \"pam COMMAND -h\" for a command's flags.")
}

// newFlagSet returns a flag set whose usage parseArgs prints: to stderr, or
// to stdout when help was asked for.
func newFlagSet(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("pam "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: pam %s %s\n\n%s.\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags and positional arguments in any order ("pam check
// TOKEN --channel c" as well as "pam check --channel c TOKEN"). It reports
// help and errors itself and returns ok=false with the exit code to use.
func parseArgs(fs *flag.FlagSet, args []string, e *env) (pos []string, code int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", fs.Name(), err)
			fs.SetOutput(e.stderr)
			fs.Usage()
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints a one-line error and the command's usage.
func usageError(fs *flag.FlagSet, e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.SetOutput(e.stderr)
	fs.Usage()
	return exitUsage
}

// fail prints an error that is not about usage.
func fail(e *env, err error) int {
	fmt.Fprintln(e.stderr, err)
	return exitError
}
