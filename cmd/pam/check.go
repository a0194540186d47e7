package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/pamkit/pam"
)

// offlineNote follows every "allowed" answer of pam check.
const offlineNote = "note: checked offline, from the token alone: pam check cannot see whether the token was revoked, nor verify its signature"

// checkFlags are the flags of pam check.
type checkFlags struct {
	channel, group, uuidRes, perms, uuid, at *string
}

func defineCheck(fs *flag.FlagSet) action {
	f := &checkFlags{
		channel: fs.String("channel", "", "the `NAME` of the channel to check"),
		group:   fs.String("group", "", "the `NAME` of the channel group to check"),
		uuidRes: fs.String("uuid-resource", "", "the `NAME` of the uuid (App Context metadata) to check"),
		perms:   fs.String("perm", "", "the `PERMS` the operation needs, comma-separated, e.g. write, or read,manage"),
		uuid:    fs.String("uuid", "", "the `UUID` of the client using the token (checked against its authorized uuid)"),
		at:      fs.String("at", "", "check at this `TIME` (RFC 3339, e.g. 2026-01-02T15:04:05Z) instead of now"),
	}
	return f.run
}

func (f *checkFlags) run(_ context.Context, pos []string, e *env) int {
	s, code, ok := tokenArg("check", pos, e)
	if !ok {
		return code
	}
	a, msg := f.access()
	if msg != "" {
		return usageError(e, "check", "%s", msg)
	}
	tok, err := pam.ParseToken(s)
	if err != nil {
		return fail(e, err)
	}
	if err := tok.Authorize(a); err != nil {
		fmt.Fprintln(e.stdout, "denied:", escapeLine(denialText(err, tok)))
		return exitDenied
	}
	fmt.Fprintln(e.stdout, escapeLine(tok.Explain(a)))
	fmt.Fprintln(e.stdout, offlineNote)
	return exitOK
}

// access builds the access the flags describe, or says what is wrong.
func (f *checkFlags) access() (pam.Access, string) {
	var a pam.Access
	set := 0
	for _, r := range []struct {
		v  string
		rt pam.ResourceType
	}{{*f.channel, pam.Channel}, {*f.group, pam.ChannelGroup}, {*f.uuidRes, pam.UUID}} {
		if r.v != "" {
			a.Type, a.Name = r.rt, r.v
			set++
		}
	}
	if set != 1 {
		return a, "name exactly one resource with --channel, --group or --uuid-resource"
	}
	if *f.perms == "" {
		return a, "--perm is required, e.g. --perm write"
	}
	p, err := parsePerms(*f.perms)
	if err != nil {
		return a, "--perm " + quote(*f.perms) + ": " + err.Error()
	}
	a.Permission, a.UUID, a.At = p, *f.uuid, time.Now()
	if *f.at != "" {
		if a.At, err = time.Parse(time.RFC3339, *f.at); err != nil {
			return a, "--at " + quote(*f.at) + " is not an RFC 3339 time such as 2026-01-02T15:04:05Z"
		}
	}
	return a, ""
}

// denialText says why Authorize denied, in the CLI's words: a token bound
// to a uuid is checked with --uuid.
func denialText(err error, tok *pam.Token) string {
	var d *pam.DeniedError
	if !errors.As(err, &d) {
		return err.Error()
	}
	if errors.Is(err, pam.ErrUUIDMismatch) && d.Access.UUID == "" {
		return fmt.Sprintf("the token is bound to uuid %s and no --uuid was given; pass the uuid of the client that uses the token, e.g. --uuid %s",
			quote(tok.AuthorizedUUID), shellQuote(tok.AuthorizedUUID))
	}
	if errors.Is(err, pam.ErrTokenExpired) {
		return d.Reason + " (--at checks another moment)"
	}
	return d.Reason
}

// parsePerms reads "read,write" into a Permission.
func parsePerms(s string) (pam.Permission, error) {
	var p pam.Permission
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return 0, errors.New(`an empty permission name; write names separated by commas, e.g. read,write`)
		}
		bit, ok := pam.ParsePermission(name)
		if !ok {
			return 0, fmt.Errorf("unknown permission %s; use read, write, manage, delete, get, update or join", quote(name))
		}
		p |= bit
	}
	return p, nil
}
