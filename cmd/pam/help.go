package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// usage prints "pam help": every command with every flag it takes.
func usage(w io.Writer) {
	fmt.Fprintln(w, "pam: PubNub Access Manager v3 tokens from the command line")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: pam COMMAND [ARGUMENTS] [FLAGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for i := range commands {
		c := &commands[i]
		fmt.Fprintf(w, "\n  %s\n      %s\n", c.synopsis(), c.summary)
		printFlags(w, c, "      ")
	}
	fmt.Fprintln(w, "\n  pam help [COMMAND]")
	fmt.Fprintln(w, "      print this help, or a command's")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Environment:")
	fmt.Fprintln(w, "  PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY, PAM_SECRET_KEY   the keyset (grant, revoke; serve with --keys-from-env)")
	fmt.Fprintln(w, "  PAM_ORIGIN                                            the service's address, e.g. http://127.0.0.1:8090")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Permissions are comma-separated names: read, write, manage, delete, get, update, join.")
	fmt.Fprintln(w, "Exit status: 0 on success, 1 when pam check denies, 2 on any error.")
}

// synopsis is "pam NAME ARGS".
func (c *command) synopsis() string {
	return strings.TrimSpace("pam " + c.name + " " + c.args)
}

// help prints "pam NAME -h".
func (c *command) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.synopsis(), c.about)
	var b strings.Builder
	printFlags(&b, c, "  ")
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", b.String())
	}
}

// printFlags prints the command's flags, written --name, each with its
// value's placeholder, its description and its default, if any.
func printFlags(w io.Writer, c *command, indent string) {
	fs := c.flagSet()
	c.define(fs)
	fs.VisitAll(func(f *flag.Flag) {
		name, desc := flag.UnquoteUsage(f)
		line := indent + "--" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			desc += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "%s\n%s      %s\n", line, indent, desc)
	})
}
