package pam

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pamkit/pam/internal/tokencodec"
)

// Token is a decoded Access Manager v3 token: what it grants, to whom, and
// for how long. Get one with [ParseToken]; no [Client] or network is needed.
type Token struct {
	// Version is the token format version; ParseToken accepts only 2.
	Version int
	// IssuedAt is when the service minted the token ("t"), in UTC, to the
	// second.
	IssuedAt time.Time
	// TTL is how long the token lives after IssuedAt, a whole number of
	// minutes.
	TTL time.Duration
	// AuthorizedUUID is the only uuid that may use the token; "" when the
	// token is not bound to a uuid.
	AuthorizedUUID string
	// Resources grants permissions on exact names.
	Resources Grants
	// Patterns grants permissions on every name a regular expression
	// matches.
	Patterns Grants
	// Meta is the metadata granted with the token, nil when there is none.
	// Values are JSON-friendly only: string, bool, int64 (uint64 above
	// math.MaxInt64), float64, nil, []any and map[string]any.
	Meta map[string]any
	// Signature is the service's signature over the token, opaque to
	// clients.
	Signature []byte
}

// Grants maps names (or patterns) to permissions for each resource type. A
// nil map is empty: ParseToken leaves the maps of types the token does not
// mention, or mentions with no entries, nil.
type Grants struct {
	Channels      map[string]Permission // "chan"
	ChannelGroups map[string]Permission // "grp"
	UUIDs         map[string]Permission // "uuid"
	// Spaces and Users are the legacy Objects v1 maps ("spc", "usr"). The
	// deprecated [Space] and [User] grants travel as channels and uuids;
	// today's service copies some of them here too, but checks only
	// Channels and UUIDs.
	Spaces map[string]Permission
	Users  map[string]Permission
}

// forType returns the map the service checks for rt: Space is a channel and
// User a uuid on the wire. ok is false for an unknown type.
func (g *Grants) forType(rt ResourceType) (m map[string]Permission, ok bool) {
	switch rt {
	case Channel, Space:
		return g.Channels, true
	case ChannelGroup:
		return g.ChannelGroups, true
	case UUID, User:
		return g.UUIDs, true
	}
	return nil, false
}

// wireType returns the type rt is sent as: Space as Channel, User as UUID.
func wireType(rt ResourceType) ResourceType {
	switch rt {
	case Space:
		return Channel
	case User:
		return UUID
	}
	return rt
}

// maxUnix is 9999-12-31T23:59:59Z: tokens must expire before year 10000, so
// that every time in them has an RFC 3339 form.
const maxUnix = 253402300799

// ParseToken decodes a token string as the service issues it. It accepts the
// URL-safe or the standard base64 alphabet, with or without padding, a
// percent-encoded token (%3D for "=", …), and surrounding white space. It
// rejects a string over 32 KiB before any other work, and decodes the CBOR
// strictly: definite lengths only, no duplicate keys, valid UTF-8, bounded
// nesting, no trailing bytes, permission bits within the eight defined
// ones. Keys it does not know are ignored. Every failure wraps
// [ErrMalformedToken] and says what was wrong, except a version other than
// 2, which wraps [ErrUnsupportedVersion]. The signature is not verified:
// only the service can do that.
func ParseToken(token string) (*Token, error) {
	if len(token) <= tokencodec.MaxTokenLen { // Unwrap rejects longer ones
		token = strings.TrimSpace(token)
	}
	var buf [1024]byte
	raw, err := tokencodec.Unwrap(buf[:0], token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedToken, err)
	}
	// The Token and its signature (32 bytes from the service) are one
	// allocation.
	ts := new(struct {
		tok Token
		sig [32]byte
	})
	ct := tokencodec.TokenOf[Permission]{Sig: ts.sig[:0:len(ts.sig)]}
	if err := tokencodec.DecodeInto(string(raw), &ct); err != nil {
		if ve := (*tokencodec.VersionError)(nil); errors.As(err, &ve) {
			return nil, fmt.Errorf("%w %d: this package reads version 2 tokens", ErrUnsupportedVersion, ve.Version)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformedToken, err)
	}
	if ct.Timestamp > maxUnix {
		return nil, fmt.Errorf("%w: issue time %d is after year 9999", ErrMalformedToken, ct.Timestamp)
	}
	if ct.TTL > (maxUnix-ct.Timestamp)/60 || ct.TTL > math.MaxInt64/uint64(time.Minute) {
		return nil, fmt.Errorf("%w: ttl of %d minutes is out of range", ErrMalformedToken, ct.TTL)
	}
	ts.tok = Token{
		Version:        int(ct.Version),
		IssuedAt:       time.Unix(int64(ct.Timestamp), 0).UTC(),
		TTL:            time.Duration(ct.TTL) * time.Minute,
		AuthorizedUUID: ct.UUID,
		Resources: Grants{Channels: ct.Res.Chan, ChannelGroups: ct.Res.Grp, UUIDs: ct.Res.UUID,
			Spaces: ct.Res.Spc, Users: ct.Res.Usr},
		Patterns: Grants{Channels: ct.Pat.Chan, ChannelGroups: ct.Pat.Grp, UUIDs: ct.Pat.UUID,
			Spaces: ct.Pat.Spc, Users: ct.Pat.Usr},
		Meta:      ct.Meta,
		Signature: ct.Sig,
	}
	return &ts.tok, nil
}

// ExpiresAt returns when the token stops being valid: IssuedAt + TTL.
func (t *Token) ExpiresAt() time.Time { return t.IssuedAt.Add(t.TTL) }

// Expired reports whether the token has expired at now: from ExpiresAt on.
func (t *Token) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt()) }

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

// Access describes one operation to check with [Token.Authorize].
type Access struct {
	Type       ResourceType // the resource type, e.g. [Channel]
	Name       string       // the channel, channel group or uuid name
	Permission Permission   // the bits the operation needs, e.g. [Write] to publish
	UUID       string       // the uuid of the client using the token
	At         time.Time    // when; the zero time means time.Now()
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
	if a.At.IsZero() {
		a.At = time.Now()
	}
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
	if err := t.Authorize(a); err != nil {
		return "denied: " + strings.TrimPrefix(err.Error(), "pam: ")
	}
	v := t.evaluate(a.Type, a.Name, a.Permission, true)
	what := a.Type.singular() + " " + strconv.Quote(a.Name)
	if v.hasEntry {
		return fmt.Sprintf("allowed: %s has an exact entry granting %s", what, v.granted)
	}
	return fmt.Sprintf("allowed: %s matches pattern %q, which grants %s", what, v.pattern, v.granted)
}

// DeniedError is a denial from [Token.Authorize]. Its message starts with
// "pam: " and says why, in words; the fields carry the same facts for
// programs. It wraps [ErrPermissionDenied] and, as the case may be,
// [ErrTokenExpired] or [ErrUUIDMismatch].
type DeniedError struct {
	// Access is the access that was denied, with At filled in.
	Access Access
	// Reason is the message without the "pam: " prefix.
	Reason string
	// ExpiresAt is when the token expired; zero unless that is the reason.
	ExpiresAt time.Time
	// Entry is the exact resource entry that decided, if the token has one
	// for the name.
	Entry string
	// Pattern is the pattern that matched the name but lacked bits, if
	// there was no exact entry.
	Pattern string
	// Granted is what Entry or Pattern grants.
	Granted Permission
	// Missing is the requested bits that Entry or Pattern lacks.
	Missing Permission
	// Candidates are the names and patterns of the requested type nearest
	// to the name, when nothing matched it, nearest first.
	Candidates []string

	sentinels []error
}

// Error returns "pam: " and the reason.
func (e *DeniedError) Error() string { return "pam: " + e.Reason }

// Unwrap returns the sentinel errors the denial matches.
func (e *DeniedError) Unwrap() []error { return e.sentinels }

var _ error = (*DeniedError)(nil)

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

// tokenJSON is the JSON shape of a Token.
type tokenJSON struct {
	Version        int            `json:"version"`
	Timestamp      int64          `json:"timestamp"`
	TTL            int64          `json:"ttl"`
	ExpiresAt      string         `json:"expires_at"`
	AuthorizedUUID *string        `json:"authorized_uuid"`
	Resources      grantsJSON     `json:"resources"`
	Patterns       grantsJSON     `json:"patterns"`
	Meta           map[string]any `json:"meta"`
	Signature      string         `json:"signature"`
}

type grantsJSON struct {
	Channels map[string]Permission `json:"channels"`
	Groups   map[string]Permission `json:"groups"`
	UUIDs    map[string]Permission `json:"uuids"`
	Spaces   map[string]Permission `json:"spaces,omitempty"`
	Users    map[string]Permission `json:"users,omitempty"`
}

func nonNil[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

func nilIfEmpty[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

func (g *Grants) toJSON() grantsJSON {
	return grantsJSON{
		Channels: nonNil(g.Channels), Groups: nonNil(g.ChannelGroups), UUIDs: nonNil(g.UUIDs),
		Spaces: g.Spaces, Users: g.Users,
	}
}

func (g *grantsJSON) grants() Grants {
	return Grants{
		Channels: nilIfEmpty(g.Channels), ChannelGroups: nilIfEmpty(g.Groups), UUIDs: nilIfEmpty(g.UUIDs),
		Spaces: nilIfEmpty(g.Spaces), Users: nilIfEmpty(g.Users),
	}
}

// MarshalJSON writes the token as the CLI's --json prints it: version,
// timestamp (Unix seconds), ttl (minutes), expires_at (RFC 3339),
// authorized_uuid (null when unbound), resources and patterns (channels,
// groups and uuids always, spaces and users when not empty; each
// permission an object of booleans), meta (an object) and signature
// (base64url without padding).
func (t Token) MarshalJSON() ([]byte, error) {
	j := tokenJSON{
		Version:   t.Version,
		Timestamp: t.IssuedAt.Unix(),
		TTL:       int64(t.TTL / time.Minute),
		ExpiresAt: t.ExpiresAt().UTC().Format(time.RFC3339),
		Resources: t.Resources.toJSON(),
		Patterns:  t.Patterns.toJSON(),
		Meta:      nonNil(t.Meta),
		Signature: base64.RawURLEncoding.EncodeToString(t.Signature),
	}
	if t.AuthorizedUUID != "" {
		j.AuthorizedUUID = &t.AuthorizedUUID
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the shape MarshalJSON writes; expires_at is ignored,
// since it follows from timestamp and ttl. Empty maps become nil, as
// ParseToken leaves them, and meta numbers become int64 (uint64 when too
// big) or, with a fraction or exponent, float64.
func (t *Token) UnmarshalJSON(data []byte) error {
	var j tokenJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("pam: token JSON: data after the object")
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(j.Signature, "="))
	if err != nil {
		return fmt.Errorf("pam: token JSON: signature: %w", err)
	}
	*t = Token{
		Version:   j.Version,
		IssuedAt:  time.Unix(j.Timestamp, 0).UTC(),
		TTL:       time.Duration(j.TTL) * time.Minute,
		Resources: j.Resources.grants(),
		Patterns:  j.Patterns.grants(),
		Signature: sig,
	}
	if len(j.Meta) > 0 {
		fromJSONValue(j.Meta)
		t.Meta = j.Meta
	}
	if j.AuthorizedUUID != nil {
		t.AuthorizedUUID = *j.AuthorizedUUID
	}
	return nil
}

// fromJSONValue turns json.Number values into int64, uint64 or float64.
func fromJSONValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if s != "-0" && !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u
			}
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = fromJSONValue(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSONValue(x[k])
		}
	}
	return v
}
