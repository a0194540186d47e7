// Command pam inspects, checks, grants and revokes PubNub Access Manager v3
// tokens, and runs a local Access Manager emulator.
//
//	pam parse TOKEN|- [--json]
//	pam check TOKEN|- (--channel NAME | --group NAME | --uuid-resource NAME) --perm PERMS [--uuid U] [--at TIME]
//	pam grant --ttl 15m [--authorized-uuid U] [--channel NAME=PERMS]... [--meta KEY=VALUE]... [--dry-run]
//	pam revoke TOKEN|-
//	pam serve [--addr 127.0.0.1:8090] [--keys-from-env]
//	pam version
//
// Keys come from PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY and PAM_SECRET_KEY, the
// service's address from PAM_ORIGIN. Run "pam help" for every flag.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
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
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// env is what a command may use of the outside world; tests substitute it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// ready, if set, is called by serve with the address it listens on.
	ready func(addr string)
	// listen, if set, replaces net.Listen for serve.
	listen func(network, addr string) (net.Listener, error)
	// limits, if set, replaces serve's HTTP server limits.
	limits *serveLimits
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], e)
	case "-version", "--version":
		return runVersion(ctx, nil, e)
	}
	if c := lookup(args[0]); c != nil {
		return c.run(ctx, args[1:], e)
	}
	fmt.Fprintf(e.stderr, "pam: unknown command %s\n", quote(args[0]))
	fmt.Fprintln(e.stderr, `Run "pam help" for the commands.`)
	return exitUsage
}

// runHelp answers "pam help [COMMAND]" (and "pam -h", "pam --help").
func runHelp(args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stdout)
		return exitOK
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	}
	if c := lookup(args[0]); c != nil {
		c.help(e.stdout)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "pam help: unknown command %s\n", quote(args[0]))
	fmt.Fprintln(e.stderr, `Run "pam help" for the commands.`)
	return exitUsage
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}
