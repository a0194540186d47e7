package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pamkit/pam"
)

// maxStdin bounds how much of standard input a command reads as a token.
const maxStdin = 64 << 10

// readToken returns the token named by arg: the argument itself, or
// standard input when arg is "-".
func readToken(arg string, e *env) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := io.ReadAll(io.LimitReader(e.stdin, maxStdin))
	if err != nil {
		return "", fmt.Errorf("pam: reading the token from standard input: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// tokenArg reads the one TOKEN|- argument of cmd. When ok is false the
// error is reported and code is the exit code.
func tokenArg(cmd string, pos []string, e *env) (token string, code int, ok bool) {
	if len(pos) != 1 {
		return "", usageError(e, cmd, "want exactly one token (or - for standard input), got %d arguments", len(pos)), false
	}
	token, err := readToken(pos[0], e)
	if err != nil {
		return "", fail(e, err), false
	}
	return token, 0, true
}

func defineParse(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print the token as JSON: version, timestamp, ttl, expires_at, authorized_uuid, resources, patterns, meta, signature")
	return func(_ context.Context, pos []string, e *env) int {
		s, code, ok := tokenArg("parse", pos, e)
		if !ok {
			return code
		}
		tok, err := pam.ParseToken(s)
		if err != nil {
			return fail(e, err)
		}
		if *asJSON {
			b, err := json.Marshal(tok)
			if err != nil {
				return fail(e, fmt.Errorf("pam: encoding the token as JSON: %w", err))
			}
			fmt.Fprintln(e.stdout, string(b))
			return exitOK
		}
		printToken(e.stdout, tok, time.Now())
		return exitOK
	}
}

// printToken writes a readable summary of tok as of now.
func printToken(w io.Writer, tok *pam.Token, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "version\t%d\n", tok.Version)
	fmt.Fprintf(tw, "issued\t%s\n", tok.IssuedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "ttl\t%s\n", minutes(tok.TTL))
	exp := tok.ExpiresAt()
	if tok.Expired(now) {
		fmt.Fprintf(tw, "expires\t%s (expired %s ago)\n", exp.UTC().Format(time.RFC3339), human(now.Sub(exp)))
	} else {
		fmt.Fprintf(tw, "expires\t%s (%s left)\n", exp.UTC().Format(time.RFC3339), human(exp.Sub(now)))
	}
	if tok.AuthorizedUUID != "" {
		fmt.Fprintf(tw, "authorized uuid\t%s\n", field(tok.AuthorizedUUID))
	} else {
		fmt.Fprintf(tw, "authorized uuid\t(none: any uuid may use the token)\n")
	}
	fmt.Fprintf(tw, "signature\t%d bytes\n", len(tok.Signature))
	tw.Flush()
	printGrants(w, "resources", tok.Resources)
	printGrants(w, "patterns", tok.Patterns)
	fmt.Fprintln(w, "meta")
	if len(tok.Meta) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range slices.Sorted(maps.Keys(tok.Meta)) {
		fmt.Fprintf(tw, "  %s\t%s\n", field(k), metaText(tok.Meta[k]))
	}
	tw.Flush()
}

// metaText is a meta value as JSON, with every character that is not
// printable escaped.
func metaText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "(" + err.Error() + ")"
	}
	return escapeLine(strings.TrimSuffix(b.String(), "\n"))
}

// printGrants prints one of the token's two grant maps under title.
func printGrants(w io.Writer, title string, g pam.Grants) {
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	for _, typ := range []struct {
		name string
		m    map[string]pam.Permission
	}{
		{"channel", g.Channels}, {"channel group", g.ChannelGroups}, {"uuid", g.UUIDs},
		{"space", g.Spaces}, {"user", g.Users},
	} {
		for _, name := range slices.Sorted(maps.Keys(typ.m)) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", typ.name, field(name), strings.Join(typ.m[name].Names(), ", "))
			n++
		}
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintln(w, "  (none)")
	}
}

// minutes prints a TTL in minutes, with hours or days when whole.
func minutes(d time.Duration) string {
	m := int64(d / time.Minute)
	switch {
	case m%(24*60) == 0 && m > 0:
		return fmt.Sprintf("%s (%s)", count(m, "minute"), count(m/(24*60), "day"))
	case m%60 == 0 && m > 0:
		return fmt.Sprintf("%s (%s)", count(m, "minute"), count(m/60, "hour"))
	}
	return count(m, "minute")
}

// count writes n and the unit, plural unless n is 1.
func count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// human prints a duration rounded for people: "3d4h", "2h5m", "4m10s", "12s".
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		days := d / (24 * time.Hour)
		return fmt.Sprintf("%dd%dh", days, (d-days*24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return d.Truncate(time.Minute).String()
	default:
		return d.Truncate(time.Second).String()
	}
}
