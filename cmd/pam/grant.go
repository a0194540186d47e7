package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/pamkit/pam"
)

// grantFlags are the flags of pam grant.
type grantFlags struct {
	ttl      ttlFlag
	authUUID optString
	dry      *bool
	entries  []*entries
	meta     metas
}

func defineGrant(fs *flag.FlagSet) action {
	g := &grantFlags{entries: []*entries{
		{flag: "channel", rt: pam.Channel, help: "`NAME=PERMS` grants PERMS on the channel NAME (repeatable), e.g. --channel room-1=read,write"},
		{flag: "channel-pattern", rt: pam.Channel, pattern: true, help: "`RE=PERMS` grants PERMS on every channel whose whole name matches " +
			"the regular expression RE (repeatable), e.g. --channel-pattern '^room-[0-9]+$=read'"},
		{flag: "group", rt: pam.ChannelGroup, help: "`NAME=PERMS` grants PERMS on the channel group NAME (repeatable); groups take read, manage"},
		{flag: "group-pattern", rt: pam.ChannelGroup, pattern: true, help: "`RE=PERMS` grants PERMS on every channel group matching RE (repeatable)"},
		{flag: "uuid-resource", rt: pam.UUID, help: "`NAME=PERMS` grants PERMS on the metadata of the uuid NAME (repeatable); uuids take get, update, delete"},
		{flag: "uuid-pattern", rt: pam.UUID, pattern: true, help: "`RE=PERMS` grants PERMS on every uuid matching RE (repeatable)"},
	}}
	fs.Var(&g.ttl, "ttl", "required: the token's lifetime, a `DURATION` in whole minutes (15m, 2h, 7d) or a number of minutes; "+
		"between 1 minute and 30 days (43200 minutes)")
	fs.Var(&g.authUUID, "authorized-uuid", "bind the token to this `UUID`: only a client with that uuid may use it")
	g.dry = fs.Bool("dry-run", false, "check everything, print the JSON request body and the warnings, and send nothing")
	for _, es := range g.entries {
		fs.Var(es, es.flag, es.help)
	}
	fs.Var(&g.meta, "meta", "add `KEY=VALUE` to the token's meta (repeatable). VALUE is a string, exactly as typed "+
		"(--meta zip=02134); write KEY:=JSON for a number, true, false or null (--meta seats:=5, --meta vip:=true); "+
		"integers stay exact up to 64 bits")
	return g.run
}

func (g *grantFlags) run(ctx context.Context, pos []string, e *env) int {
	switch {
	case len(pos) != 0:
		return usageError(e, "grant", "unexpected argument %s; every grant is given with a flag, e.g. --channel room-1=read", quote(pos[0]))
	case !g.ttl.set:
		return usageError(e, "grant", "--ttl is required, e.g. --ttl 15m")
	case g.authUUID.set && g.authUUID.v == "":
		return usageError(e, "grant", "--authorized-uuid is empty; give the uuid of the client that will use the token, or leave the flag out")
	}
	req := g.request()
	if err := req.Validate(); err != nil {
		for _, p := range requestProblems(err) {
			fmt.Fprintf(e.stderr, "pam grant: %s\n", escapeLine(p))
		}
		fmt.Fprintln(e.stderr, `Run "pam grant -h" for usage.`)
		return exitUsage
	}
	for _, line := range g.lintLines(req.Lint()) {
		fmt.Fprintln(e.stderr, "warning:", escapeLine(line))
	}
	if *g.dry {
		body, err := json.Marshal(req)
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintln(e.stdout, string(body))
		return exitOK
	}
	c, err := clientFromEnv(e)
	if err != nil {
		return fail(e, err)
	}
	token, err := c.GrantToken(ctx, req)
	if err != nil {
		return fail(e, withHint(err, e))
	}
	fmt.Fprintln(e.stdout, token)
	return exitOK
}

// request builds the token request the flags describe.
func (g *grantFlags) request() *pam.TokenRequest {
	req := pam.NewTokenRequest(g.ttl.d)
	if g.authUUID.set {
		req.AuthorizedUUID(g.authUUID.v)
	}
	for _, es := range g.entries {
		add := req.Channel
		switch {
		case es.rt == pam.Channel && es.pattern:
			add = req.ChannelPattern
		case es.rt == pam.ChannelGroup && es.pattern:
			add = req.ChannelGroupPattern
		case es.rt == pam.ChannelGroup:
			add = req.ChannelGroup
		case es.rt == pam.UUID && es.pattern:
			add = req.UUIDPattern
		case es.rt == pam.UUID:
			add = req.UUID
		}
		for _, en := range es.list {
			add(en.name, en.perm)
		}
	}
	for i, k := range g.meta.keys {
		req.Meta(k, g.meta.vals[i])
	}
	return req
}

// granted returns the flag that granted name (a pattern or not) on rt,
// and the permissions it granted.
func (g *grantFlags) granted(rt pam.ResourceType, pattern bool, name string) (string, pam.Permission) {
	var p pam.Permission
	flagName := ""
	for _, es := range g.entries {
		if es.rt != rt || es.pattern != pattern {
			continue
		}
		flagName = "--" + es.flag
		for _, en := range es.list {
			if en.name == name {
				p |= en.perm
			}
		}
	}
	return flagName, p
}
