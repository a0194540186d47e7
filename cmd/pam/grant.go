package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pamkit/pam"
)

// entries collects repeated NAME=PERMS flags.
type entries struct {
	list []entry
}

type entry struct {
	name string
	perm pam.Permission
}

func (es *entries) String() string { return "" }

// Set splits on the last "=", so that names and patterns may contain "=".
func (es *entries) Set(v string) error {
	i := strings.LastIndexByte(v, '=')
	if i < 0 {
		return fmt.Errorf("%q is not NAME=PERMS, e.g. room-1=read,write", v)
	}
	p, err := parsePerms(v[i+1:])
	if err != nil {
		return err
	}
	es.list = append(es.list, entry{v[:i], p})
	return nil
}

// metas collects repeated k=v flags.
type metas struct {
	keys []string
	vals []any
}

func (m *metas) String() string { return "" }

// Set splits on the first "=". The value is a number, true, false or null
// when it reads as one, a JSON string when quoted, and a string otherwise.
func (m *metas) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, metaValue(val))
	return nil
}

func metaValue(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP_") {
		return f
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	var q string
	if strings.HasPrefix(s, `"`) && json.Unmarshal([]byte(s), &q) == nil {
		return q
	}
	return s
}

// parseTTL reads a duration ("15m", "2h") or a whole number of minutes.
func parseTTL(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("--ttl %q is neither a duration such as 15m nor a number of minutes", s)
	}
	return d, nil
}

func runGrant(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("grant", "--ttl DURATION [flags]", "Mint a token and print it; --dry-run prints the request body and lint warnings instead and sends nothing")
	ttl := fs.String("ttl", "", "the token's lifetime: a duration in whole minutes (15m, 24h) or a number of minutes; 1m to 720h")
	authUUID := fs.String("authorized-uuid", "", "bind the token to this uuid")
	dry := fs.Bool("dry-run", false, "print the JSON body and the lint warnings; send nothing")
	var chans, chanPats, groups, groupPats, uuids, uuidPats entries
	var meta metas
	for _, f := range []struct {
		v          flag.Value
		name, help string
	}{
		{&chans, "channel", "grant NAME=PERMS on a channel (repeatable), e.g. room-1=read,write"},
		{&chanPats, "channel-pattern", "grant RE=PERMS on every channel matching the regular expression (repeatable)"},
		{&groups, "group", "grant NAME=PERMS on a channel group (repeatable); groups take read, manage"},
		{&groupPats, "group-pattern", "grant RE=PERMS on every matching channel group (repeatable)"},
		{&uuids, "uuid-resource", "grant NAME=PERMS on a uuid's metadata (repeatable); uuids take get, update, delete"},
		{&uuidPats, "uuid-pattern", "grant RE=PERMS on every matching uuid (repeatable)"},
		{&meta, "meta", "add KEY=VALUE to the token's meta (repeatable); numbers, true, false and null are typed"},
	} {
		fs.Var(f.v, f.name, f.help)
	}
	pos, code, ok := parseArgs(fs, args, e)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return usageError(fs, e, "unexpected argument %q; every grant is given with a flag", pos[0])
	}
	if *ttl == "" {
		return usageError(fs, e, "--ttl is required, e.g. --ttl 15m")
	}
	d, err := parseTTL(*ttl)
	if err != nil {
		return usageError(fs, e, "%v", err)
	}
	req := pam.NewTokenRequest(d)
	if *authUUID != "" {
		req.AuthorizedUUID(*authUUID)
	}
	for _, g := range []struct {
		es  *entries
		add func(string, pam.Permission) *pam.TokenRequest
	}{
		{&chans, req.Channel}, {&chanPats, req.ChannelPattern}, {&groups, req.ChannelGroup},
		{&groupPats, req.ChannelGroupPattern}, {&uuids, req.UUID}, {&uuidPats, req.UUIDPattern},
	} {
		for _, en := range g.es.list {
			g.add(en.name, en.perm)
		}
	}
	for i, k := range meta.keys {
		req.Meta(k, meta.vals[i])
	}
	for _, w := range req.Lint() {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	if *dry {
		return dryRun(req, e)
	}
	return sendGrant(ctx, req, e)
}

// dryRun prints the body req would send, then its problems, if any.
func dryRun(req *pam.TokenRequest, e *env) int {
	body, err := json.Marshal(req)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, string(body))
	if err := req.Validate(); err != nil {
		return fail(e, err)
	}
	return exitOK
}

// sendGrant grants req with the keys from the environment and prints the
// token.
func sendGrant(ctx context.Context, req *pam.TokenRequest, e *env) int {
	c, err := clientFromEnv(e)
	if err != nil {
		return fail(e, err)
	}
	token, err := c.GrantToken(ctx, req)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, token)
	return exitOK
}

// clientFromEnv builds a client from PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY,
// PAM_SECRET_KEY and PAM_ORIGIN.
func clientFromEnv(e *env) (*pam.Client, error) {
	keys := pam.Keys{
		Subscribe: e.getenv("PAM_SUBSCRIBE_KEY"),
		Publish:   e.getenv("PAM_PUBLISH_KEY"),
		Secret:    e.getenv("PAM_SECRET_KEY"),
	}
	var missing []string
	for _, k := range []struct{ name, v string }{
		{"PAM_SUBSCRIBE_KEY", keys.Subscribe}, {"PAM_PUBLISH_KEY", keys.Publish}, {"PAM_SECRET_KEY", keys.Secret},
	} {
		if k.v == "" {
			missing = append(missing, k.name)
		}
	}
	if len(missing) > 0 {
		return nil, errors.New("pam: set " + strings.Join(missing, ", ") + " to the keyset's keys (or eval the export lines `pam serve` prints)")
	}
	var opts []pam.Option
	if o := e.getenv("PAM_ORIGIN"); o != "" {
		opts = append(opts, pam.WithOrigin(o))
	}
	return pam.New(keys, opts...)
}

func runRevoke(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("revoke", "TOKEN|-", "Revoke the token, so that the service refuses it from now on; - reads it from standard input")
	s, code, ok := tokenArg(fs, args, e)
	if !ok {
		return code
	}
	c, err := clientFromEnv(e)
	if err != nil {
		return fail(e, err)
	}
	if err := c.RevokeToken(ctx, s); err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, "revoked")
	return exitOK
}
