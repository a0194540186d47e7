package pam

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pamkit/pam/internal/authz"
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
// of p allows it. A pattern that is not valid RE2, or is too complex to
// check locally, never allows (see [ErrPatternTooComplex]). Space and User
// are checked as the channels and uuids they are sent as. p == 0 is never
// allowed. Allows ignores expiry and the authorized uuid; see
// [Token.Authorize].
//
// A token from [ParseToken] or [Token.UnmarshalJSON] compiles each pattern
// once, on first use, and keeps it, also for its copies; a Token built in
// code sorts and looks up its patterns on every call (compiling each once,
// in a cache shared by such tokens). Either way the patterns may be edited
// between calls, but not during one.
func (t *Token) Allows(rt ResourceType, name string, p Permission) bool {
	res, ok := t.Resources.forType(rt)
	if !ok {
		return false
	}
	maps := t.Patterns.checked()
	return authz.Decide(t.compiled, &maps, typeIndex(rt), res, name, p)
}

// Authorize checks a as the service would: first expiry at a.At (the token
// is expired from [Token.ExpiresAt] on), then the authorized uuid, then the
// permission, as [Token.Allows] decides it. It returns nil when the access
// is allowed, and otherwise a [*DeniedError] whose message says why in
// words: the entry or pattern that was closest and the bits it lacks, or
// the nearest names when nothing matched. Every denial wraps
// [ErrPermissionDenied]; an expired token also wraps [ErrTokenExpired], a
// uuid mismatch [ErrUUIDMismatch], and a denial that a pattern too complex
// to check locally might have turned into an allow [ErrPatternTooComplex].
//
// A token bound to a uuid is denied when a.UUID is empty: the service always
// knows the client's uuid, so an Access without one cannot be shown to be
// allowed.
func (t *Token) Authorize(a Access) error {
	if _, d := t.decide(a); d != nil {
		return d
	}
	return nil
}

// Explain describes in one sentence how [Token.Authorize] decides a: which
// entry or pattern allows it, or why it is denied.
func (t *Token) Explain(a Access) string {
	v, d := t.decide(a)
	if d != nil {
		return "denied: " + d.Reason
	}
	what := a.Type.singular() + " " + strconv.Quote(a.Name)
	if v.hasEntry {
		return fmt.Sprintf("allowed: %s has an exact entry granting %s", what, v.granted)
	}
	return fmt.Sprintf("allowed: %s matches pattern %q, which grants %s", what, v.pattern, v.granted)
}

// decide evaluates a and returns why t does not allow it, or nil if it
// does.
func (t *Token) decide(a Access) (verdict, *DeniedError) {
	if a.At.IsZero() {
		a.At = time.Now()
	}
	if d := t.invalidFor(a); d != nil {
		return verdict{}, d
	}
	v := t.evaluate(a.Type, a.Name, a.Permission)
	if v.allowed {
		return v, nil
	}
	return v, t.denial(a, &v)
}

// invalidFor returns the denial of a token expired at a.At or bound to
// another uuid than a.UUID, or nil.
func (t *Token) invalidFor(a Access) *DeniedError {
	if t.Expired(a.At) {
		exp := t.ExpiresAt()
		return &DeniedError{
			Access:    a,
			ExpiresAt: exp,
			Reason: fmt.Sprintf("token expired %s ago, at %s (it was issued at %s for %d %s); request a new token",
				humanDuration(a.At.Sub(exp)), exp.UTC().Format(time.RFC3339),
				t.IssuedAt.UTC().Format(time.RFC3339), int64(t.TTL/time.Minute), plural(int(t.TTL/time.Minute), "minute", "minutes")),
			sentinels: []error{ErrTokenExpired, ErrPermissionDenied},
		}
	}
	if t.AuthorizedUUID == "" || a.UUID == t.AuthorizedUUID {
		return nil
	}
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

// verdict is the outcome of evaluate.
type verdict struct {
	allowed    bool
	hasEntry   bool       // an exact entry decided
	pattern    string     // the pattern that allowed, or matched and came closest
	hasPattern bool       // pattern is set
	granted    Permission // what the entry or pattern grants
	shadowed   string     // with a denying entry: a pattern that would have allowed
	// Patterns that would grant the bits but could not be checked: not
	// valid RE2, or too complex (and why).
	invalid, complex patternList
	complexWhy       error
	set              *authz.Set // the token's patterns, judged
	ti               int        // the index of the type's patterns in set
}

// patternList counts patterns and keeps the first few, in text order.
type patternList struct {
	n     int
	first []string
}

func (l *patternList) add(pat string) {
	if l.n++; len(l.first) < 3 {
		l.first = append(l.first, pat)
	}
}

// evaluate decides an access as Allows does, and says which entry or
// pattern decided or came closest, looking at the patterns in text order.
func (t *Token) evaluate(rt ResourceType, name string, p Permission) verdict {
	var v verdict
	res, ok := t.Resources.forType(rt)
	if !ok || p == 0 {
		return v
	}
	maps := t.Patterns.checked()
	ti := typeIndex(rt)
	if bits, found := res[name]; found {
		v.hasEntry, v.granted, v.allowed = true, bits, bits.Has(p)
		if !v.allowed {
			if e := authz.Match(authz.Current(t.compiled, &maps), ti, maps[ti], name, p); e != nil {
				v.shadowed = e.Source()
			}
		}
		return v
	}
	set := authz.Scan(t.compiled, &maps, ti, func() { v = verdict{} }, func(e *authz.Entry, bits Permission) bool {
		return v.consider(e, bits, name, p)
	})
	v.set, v.ti = set, ti
	return v
}

// consider takes one pattern into the verdict; it reports whether the
// pattern allows the access.
func (v *verdict) consider(e *authz.Entry, bits Permission, name string, p Permission) bool {
	switch e.Status() {
	case authz.Invalid:
		if bits.Has(p) { // it might allow the access on the service
			v.invalid.add(e.Source())
		}
		return false
	case authz.TooComplex:
		if bits.Has(p) {
			v.complex.add(e.Source())
			v.complexWhy = cmp.Or(v.complexWhy, e.Err())
		}
		return false
	}
	if !e.Match(name) {
		return false
	}
	if bits.Has(p) {
		v.allowed, v.pattern, v.hasPattern, v.granted = true, e.Source(), true, bits
		return true
	}
	// Keep the matching pattern that lacks the fewest requested bits.
	if !v.hasPattern || bitCount(p&^bits) < bitCount(p&^v.granted) {
		v.pattern, v.hasPattern, v.granted = e.Source(), true, bits
	}
	return false
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
		t.noMatch(b, e, a, v, what)
		grant(e.Missing, strconv.Quote(a.Name))
	}
	if rest := a.Permission &^ allowed; rest != 0 && allowed != 0 {
		fmt.Fprintf(b, "; note that %s take only %s, never %s", a.Type.plural(), allowed, rest)
	}
	if v.invalid.n > 0 {
		fmt.Fprintf(b, "; %s not valid RE2, so %s: %s", wouldGrant(v.invalid.n), plural(v.invalid.n, "it", "they")+" could not be checked",
			quoteList(v.invalid.first, v.invalid.n))
	}
	if v.complex.n > 0 {
		e.sentinels = []error{ErrPatternTooComplex, ErrPermissionDenied}
		fmt.Fprintf(b, "; %s too complex to check locally (%v), so the service may allow what pam denies: %s",
			wouldGrant(v.complex.n), v.complexWhy, quoteList(v.complex.first, v.complex.n))
	}
	e.Reason = b.String()
	return e
}

// wouldGrant begins a sentence about n patterns that would grant an access.
func wouldGrant(n int) string {
	if n == 1 {
		return "a pattern that would grant it is"
	}
	return strconv.Itoa(n) + " patterns that would grant it are"
}

// noMatch explains a name that no entry and no pattern matches.
func (t *Token) noMatch(b *strings.Builder, e *DeniedError, a Access, v *verdict, what string) {
	res, _ := t.Resources.forType(a.Type)
	pats, _ := t.Patterns.forType(a.Type)
	switch {
	case len(res) == 0 && len(pats) == 0:
		fmt.Fprintf(b, "token grants nothing on %s at all, so not %s on %s", a.Type.plural(), a.Permission, what)
	case v.complex.n > 0:
		fmt.Fprintf(b, "no entry or pattern that can be checked locally matches %s", what)
	default:
		fmt.Fprintf(b, "no entry or pattern in the token matches %s", what)
	}
	if len(res)+len(pats) > 0 {
		var es []authz.Entry
		if !v.set.Over() { // none of its patterns is a better guess than another
			es = v.set.Entries(v.ti)
		}
		e.Candidates = nearest(a.Name, res, es)
		writeCandidates(b, e.Candidates, a.Type, res, pats)
	}
	// The right name under another type is a common mistake.
	for _, rt := range [...]ResourceType{Channel, ChannelGroup, UUID} {
		m, _ := t.Resources.forType(rt)
		if bits, ok := m[a.Name]; ok && typeIndex(rt) != typeIndex(a.Type) {
			fmt.Fprintf(b, "; the token does grant %s on %s %q: is the resource type right?", bits, rt.singular(), a.Name)
		}
	}
}

// writeCandidates writes " (nearest: …)" for the candidates, if any.
func writeCandidates(b *strings.Builder, cands []string, rt ResourceType, res, pats map[string]Permission) {
	if len(cands) == 0 {
		return
	}
	b.WriteString(" (nearest: ")
	for i, c := range cands {
		if i > 0 {
			b.WriteString(", ")
		}
		if bits, isEntry := res[c]; isEntry {
			fmt.Fprintf(b, "%s %q grants %s", rt.singular(), c, bits)
		} else {
			fmt.Fprintf(b, "pattern %q grants %s", c, pats[c])
		}
	}
	b.WriteString(")")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// quoteList quotes items, the first of total, and says how many more
// there are.
func quoteList(items []string, total int) string {
	var b strings.Builder
	for i, s := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	if more := total - len(items); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
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
