package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pamkit/pam"
)

func runCheck(_ context.Context, args []string, e *env) int {
	fs := newFlagSet("check", "TOKEN|- (--channel|--group|--uuid-resource) NAME --perm PERMS [--uuid U] [--at TIME]",
		"Say whether the token allows the access: exit 0 when it does, 1 when it does not, with the reason", e)
	channel := fs.String("channel", "", "the channel to check")
	group := fs.String("group", "", "the channel group to check")
	uuidRes := fs.String("uuid-resource", "", "the uuid (App Context metadata) to check")
	perms := fs.String("perm", "", "the permissions the operation needs, comma-separated (e.g. write, or read,manage)")
	uuid := fs.String("uuid", "", "the uuid of the client using the token (checked against its authorized uuid)")
	at := fs.String("at", "", "check at this time (RFC 3339) instead of now")
	s, code, ok := tokenArg(fs, args, e)
	if !ok {
		return code
	}
	var a pam.Access
	set := 0
	for _, r := range []struct {
		v  string
		rt pam.ResourceType
	}{{*channel, pam.Channel}, {*group, pam.ChannelGroup}, {*uuidRes, pam.UUID}} {
		if r.v != "" {
			a.Type, a.Name = r.rt, r.v
			set++
		}
	}
	if set != 1 {
		return usageError(fs, e, "name exactly one resource with --channel, --group or --uuid-resource")
	}
	if *perms == "" {
		return usageError(fs, e, "--perm is required, e.g. --perm write")
	}
	p, err := parsePerms(*perms)
	if err != nil {
		return usageError(fs, e, "%v", err)
	}
	a.Permission, a.UUID = p, *uuid
	a.At = time.Now()
	if *at != "" {
		if a.At, err = time.Parse(time.RFC3339, *at); err != nil {
			return usageError(fs, e, "--at %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", *at)
		}
	}
	tok, err := pam.ParseToken(s)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, tok.Explain(a)) // "allowed: …" or "denied: …"
	if tok.Authorize(a) != nil {
		return exitDenied
	}
	return exitOK
}

// parsePerms reads "read,write" into a Permission.
func parsePerms(s string) (pam.Permission, error) {
	var p pam.Permission
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		bit, ok := pam.ParsePermission(name)
		if !ok {
			return 0, fmt.Errorf("unknown permission %q; use read, write, manage, delete, get, update or join", name)
		}
		p |= bit
	}
	return p, nil
}
