package pam

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Access describes one operation to check with [Token.Authorize].
type Access struct {
	Type       ResourceType // the resource type, e.g. [Channel]
	Name       string       // the channel, channel group or uuid name
	Permission Permission   // the bits the operation needs, e.g. [Write] to publish
	UUID       string       // the uuid of the client using the token
	At         time.Time    // when; the zero time means time.Now()
}

// Allows reports whether the token grants every bit of p on the resource
// name of type rt. An exact entry for name decides when present, even if a
// pattern would grant more; otherwise any pattern that matches the whole
// name (Go RE2 syntax, as PubNub's Chat SDK checks locally) and grants all
// of p allows it. A pattern that is not valid RE2 never allows. Space and
// User are checked as the channels and uuids they are sent as. p == 0 is
// never allowed. Allows ignores expiry and the authorized uuid; see
// [Token.Authorize].
func (t *Token) Allows(rt ResourceType, name string, p Permission) bool {
	return t.evaluate(rt, name, p, false).allowed
}

// Authorize checks a as the service would: first expiry at a.At (the token
// is expired from [Token.ExpiresAt] on), then the authorized uuid, then the
// permission, as [Token.Allows] decides it. It returns nil when the access
// is allowed, and otherwise a [*DeniedError] whose message says why in
// words: the entry or pattern that was closest and the bits it lacks, or
// the nearest names when nothing matched. Every denial wraps
// [ErrPermissionDenied]; an expired token also wraps [ErrTokenExpired], and
// a uuid mismatch [ErrUUIDMismatch].
//
// A token bound to a uuid is denied when a.UUID is empty: the service always
// knows the client's uuid, so an Access without one cannot be shown to be
// allowed.
func (t *Token) Authorize(a Access) error {
	if d := t.denied(a); d != nil {
		return d
	}
	return nil
}

// denied returns why t does not allow a, or nil if it does.
func (t *Token) denied(a Access) *DeniedError {
	if a.At.IsZero() {
		a.At = time.Now()
	}
	if t.Expired(a.At) {
		exp := t.ExpiresAt()
		return &DeniedError{
			Access:    a,
			ExpiresAt: exp,
			Reason: fmt.Sprintf("token expired %s ago, at %s (it was issued at %s for %d minutes); request a new token",
				humanDuration(a.At.Sub(exp)), exp.UTC().Format(time.RFC3339),
				t.IssuedAt.UTC().Format(time.RFC3339), int64(t.TTL/time.Minute)),
			sentinels: []error{ErrTokenExpired, ErrPermissionDenied},
		}
	}
	if t.AuthorizedUUID != "" && a.UUID != t.AuthorizedUUID {
		var reason string
		if a.UUID == "" {
			reason = fmt.Sprintf("token is bound to uuid %q and the access names no uuid; set Access.UUID to the client's uuid",
				t.AuthorizedUUID)
		} else {
			reason = fmt.Sprintf("token is bound to uuid %q, not %q; use it only from a client with uuid %q, or grant a token authorized for %q",
				t.AuthorizedUUID, a.UUID, t.AuthorizedUUID, a.UUID)
		}
		return &DeniedError{Access: a, Reason: reason, sentinels: []error{ErrUUIDMismatch, ErrPermissionDenied}}
	}
	v := t.evaluate(a.Type, a.Name, a.Permission, true)
	if v.allowed {
		return nil
	}
	return t.denial(a, &v)
}

// Explain describes in one sentence how [Token.Authorize] decides a: which
// entry or pattern allows it, or why it is denied.
func (t *Token) Explain(a Access) string {
	if d := t.denied(a); d != nil {
		return "denied: " + d.Reason
	}
	v := t.evaluate(a.Type, a.Name, a.Permission, true)
	what := a.Type.singular() + " " + strconv.Quote(a.Name)
	if v.hasEntry {
		return fmt.Sprintf("allowed: %s has an exact entry granting %s", what, v.granted)
	}
	return fmt.Sprintf("allowed: %s matches pattern %q, which grants %s", what, v.pattern, v.granted)
}

// verdict is the outcome of evaluate.
type verdict struct {
	allowed    bool
	hasEntry   bool       // an exact entry decided
	pattern    string     // the pattern that allowed, or matched and came closest
	hasPattern bool       // pattern is set
	granted    Permission // what the entry or pattern grants
	shadowed   string     // with a denying entry: a pattern that would have allowed
	invalid    []string   // patterns that are not valid RE2
}

// evaluate decides an access. With explain it also looks at every pattern,
// in sorted order, to say which came closest.
func (t *Token) evaluate(rt ResourceType, name string, p Permission, explain bool) verdict {
	var v verdict
	res, ok := t.Resources.forType(rt)
	if !ok || p == 0 {
		return v
	}
	pats, _ := t.Patterns.forType(rt)
	if bits, found := res[name]; found {
		v.hasEntry, v.granted, v.allowed = true, bits, bits.Has(p)
		if v.allowed || !explain {
			return v
		}
		for _, pat := range sortedPatterns(pats) {
			if bits := pats[pat]; bits.Has(p) {
				if m, valid := matchWhole(pat, name); valid && m {
					v.shadowed = pat
					break
				}
			}
		}
		return v
	}
	if !explain {
		for pat, bits := range pats {
			if !bits.Has(p) {
				continue
			}
			if m, _ := matchWhole(pat, name); m {
				v.allowed, v.pattern, v.hasPattern, v.granted = true, pat, true, bits
				return v
			}
		}
		return v
	}
	for _, pat := range sortedPatterns(pats) {
		bits := pats[pat]
		m, valid := matchWhole(pat, name)
		if !valid {
			if bits.Has(p) { // it might allow the access on the service
				v.invalid = append(v.invalid, pat)
			}
			continue
		}
		if !m {
			continue
		}
		if bits.Has(p) {
			v.allowed, v.pattern, v.hasPattern, v.granted = true, pat, true, bits
			return v
		}
		// Keep the matching pattern that lacks the fewest requested bits.
		if !v.hasPattern || bitCount(p&^bits) < bitCount(p&^v.granted) {
			v.pattern, v.hasPattern, v.granted = pat, true, bits
		}
	}
	return v
}

// matchWhole reports whether the RE2 pattern matches all of name, and
// whether the pattern is valid RE2. Leftmost-longest matching finds a match
// of the whole name whenever one exists, without rewriting the pattern.
func matchWhole(pattern, name string) (matched, valid bool) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false, false
	}
	re.Longest()
	loc := re.FindStringIndex(name)
	return loc != nil && loc[0] == 0 && loc[1] == len(name), true
}

func sortedPatterns(m map[string]Permission) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func bitCount(p Permission) int {
	n := 0
	for ; p != 0; p &= p - 1 {
		n++
	}
	return n
}

// denial builds the DeniedError for a permission that evaluate refused.
func (t *Token) denial(a Access, v *verdict) *DeniedError {
	e := &DeniedError{Access: a, sentinels: []error{ErrPermissionDenied}}
	what := a.Type.singular() + " " + strconv.Quote(a.Name)
	allowed := a.Type.Allowed()
	// grant suggests granting the missing bits the type can take.
	b := new(strings.Builder)
	grant := func(missing Permission, on string) {
		if fix := missing & allowed; fix != 0 {
			fmt.Fprintf(b, "; grant %s on %s", fix, on)
		}
	}
	switch {
	case allowed == 0:
		fmt.Fprintf(b, "unknown resource type %d; use Channel, ChannelGroup or UUID", int(a.Type))
	case a.Permission == 0:
		fmt.Fprintf(b, "no permission requested for %s; set Access.Permission to the bits the operation needs", what)
	case v.hasEntry:
		e.Entry, e.Granted, e.Missing = a.Name, v.granted, a.Permission&^v.granted
		fmt.Fprintf(b, "%s grants %s but not %s", what, v.granted, e.Missing)
		grant(e.Missing, strconv.Quote(a.Name))
		if v.shadowed != "" {
			fmt.Fprintf(b, " (the exact entry takes precedence over pattern %q, which would allow it)", v.shadowed)
		}
	case v.hasPattern:
		e.Pattern, e.Granted, e.Missing = v.pattern, v.granted, a.Permission&^v.granted
		fmt.Fprintf(b, "%s matches pattern %q, which grants %s but not %s", what, v.pattern, v.granted, e.Missing)
		grant(e.Missing, strconv.Quote(a.Name)+" or on a pattern that matches it")
	default:
		e.Missing = a.Permission
		t.noMatch(b, e, a, what)
		grant(e.Missing, strconv.Quote(a.Name))
	}
	if rest := a.Permission &^ allowed; rest != 0 && allowed != 0 {
		fmt.Fprintf(b, "; note that %s take only %s, never %s", a.Type, allowed, rest)
	}
	if len(v.invalid) > 0 {
		fmt.Fprintf(b, "; %s not valid RE2, so it could not be checked: %s",
			plural(len(v.invalid), "a pattern that would grant it is", "patterns that would grant it are"), quoteList(v.invalid, 3))
	}
	e.Reason = b.String()
	return e
}

// noMatch explains a name that no entry and no pattern matches.
func (t *Token) noMatch(b *strings.Builder, e *DeniedError, a Access, what string) {
	res, _ := t.Resources.forType(a.Type)
	pats, _ := t.Patterns.forType(a.Type)
	if len(res) == 0 && len(pats) == 0 {
		fmt.Fprintf(b, "token grants nothing on %s at all, so not %s on %s", a.Type, a.Permission, what)
	} else {
		fmt.Fprintf(b, "no entry or pattern in the token matches %s", what)
		e.Candidates = nearest(a.Name, res, pats, 3)
		if len(e.Candidates) > 0 {
			b.WriteString(" (nearest: ")
			for i, c := range e.Candidates {
				if i > 0 {
					b.WriteString(", ")
				}
				if bits, isEntry := res[c]; isEntry {
					fmt.Fprintf(b, "%s %q grants %s", a.Type.singular(), c, bits)
				} else {
					fmt.Fprintf(b, "pattern %q grants %s", c, pats[c])
				}
			}
			b.WriteString(")")
		}
	}
	// The right name under another type is a common mistake.
	for _, rt := range [...]ResourceType{Channel, ChannelGroup, UUID} {
		m, _ := t.Resources.forType(rt)
		if bits, ok := m[a.Name]; ok && rt != wireType(a.Type) {
			fmt.Fprintf(b, "; the token does grant %s on %s %q: is the resource type right?", bits, rt.singular(), a.Name)
		}
	}
}

// nearest returns up to n names and patterns close to name, nearest
// first: exact names by edit distance, patterns by the distance between
// their literal prefix and the start of name (an unanchored pattern whose
// literal occurs in name counts as near). Candidates further than half the
// name's length (at least 2) are left out.
func nearest(name string, res, pats map[string]Permission, n int) []string {
	type cand struct {
		s string
		d int
	}
	limit := max(2, len(name)/2)
	var cands []cand
	for k := range res {
		if d := editDistance(name, k); d <= limit {
			cands = append(cands, cand{k, d})
		}
	}
	for k := range pats {
		if _, dup := res[k]; dup {
			continue
		}
		if d := patternDistance(name, k); d <= limit {
			cands = append(cands, cand{k, d})
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if x.d != y.d {
			return x.d - y.d
		}
		return strings.Compare(x.s, y.s)
	})
	out := make([]string, 0, min(n, len(cands)))
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].s)
	}
	return out
}

// patternDistance says how near a pattern that did not match name came.
func patternDistance(name, pat string) int {
	re, err := regexp.Compile(pat)
	if err != nil {
		return editDistance(name, strings.TrimSuffix(strings.TrimPrefix(pat, "^"), "$"))
	}
	prefix, _ := re.LiteralPrefix()
	if len(prefix) < 3 { // too short to say much
		return editDistance(name, strings.TrimSuffix(strings.TrimPrefix(pat, "^"), "$"))
	}
	if !strings.HasPrefix(pat, "^") && strings.Contains(name, prefix) {
		return 1
	}
	return 1 + editDistance(name[:min(len(name), len(prefix))], prefix)
}

// editDistance is the Levenshtein distance between the first 64 bytes of a
// and b, which bounds its cost on hostile tokens.
func editDistance(a, b string) int {
	const limit = 64
	a, b = a[:min(len(a), limit)], b[:min(len(b), limit)]
	var rowBuf [limit + 1]int
	row := rowBuf[:len(b)+1]
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quoteList(items []string, max int) string {
	var b strings.Builder
	for i, s := range items {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(items)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	return b.String()
}

// humanDuration prints d roughly, in the largest sensible units.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days"
}
