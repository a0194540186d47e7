package pam

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks the request as the service would, without sending it, and
// reports every problem at once (joined with [errors.Join]). Each problem
// wraps one of [ErrInvalidTTL], [ErrNoPermissions], [ErrInvalidPermission],
// [ErrInvalidMeta] or [ErrMixedAPIs]. Regular expressions are left to the
// service, whose dialect is not Go's; [TokenRequest.Lint] warns about them.
//
// The error is bounded in size whatever the request: it lists the first ten
// problems, each naming its entry cut to 64 bytes, and then how many more
// there are and of which kinds; [errors.Is] matches the sentinel of every
// problem, listed or not.
func (r *TokenRequest) Validate() error {
	if r == nil {
		return opErrs("", []error{errNilRequest()})
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	return opErrs("", r.validate(r.normalize(esBuf[:0], msBuf[:0])))
}

// errNilRequest is the problem with a nil *TokenRequest.
func errNilRequest() error {
	return fmt.Errorf("%w: the token request is nil; build one with pam.NewTokenRequest", ErrNoPermissions)
}

// validate is Validate given the normalized entries and meta. It lists at
// most maxProblems problems in full (see [problems]).
func (r *TokenRequest) validate(es []entry, ms []metaEntry) []error {
	var p problems
	if r.ttl%time.Minute != 0 || r.ttl < time.Minute || r.ttl > MaxTTL {
		p.add(ErrInvalidTTL, "%v is not a whole number of minutes from 1m to 720h (43200 minutes); pass e.g. 15*time.Minute", r.ttl)
	}
	if r.usesDeprecated() && r.usesCurrent() {
		p.add(ErrMixedAPIs, "Space, SpacePattern, User, UserPattern and AuthorizedUserID cannot be combined with Channel, ChannelGroup, UUID, their patterns or AuthorizedUUID; use only the current methods")
	}
	if r.hasAuthorizedUUID {
		p.checkUUID("authorized uuid", "AuthorizedUUID", r.authorizedUUID, " to mint a token any uuid may use")
	}
	if r.hasAuthorizedUserID {
		p.checkUUID("authorized user id", "AuthorizedUserID", r.authorizedUserID, "")
	}
	p.checkEntries(es)
	if len(es) == 0 {
		p.add(ErrNoPermissions, "the request grants nothing; add a resource or pattern, e.g. Channel(\"room-1\", pam.Read)")
	}
	for _, m := range ms {
		if err := metaError(m.key, m.value); err != nil {
			p.addErr(ErrInvalidMeta, err)
		}
	}
	return p.errs()
}

// checkUUID checks an authorized uuid (what) set with method: non-empty,
// UTF-8 and no longer than the service (and [WithUserID]) accepts.
func (p *problems) checkUUID(what, method, id, leaveOut string) {
	switch {
	case id == "":
		p.add(ErrInvalidPermission, "the %s is empty; pass the id the token is for, or leave %s out%s", what, method, leaveOut)
	case !utf8.ValidString(id):
		p.add(ErrInvalidPermission, "the %s %s is not valid UTF-8; the service accepts only UTF-8 ids", what, quoteName(id))
	case len(id) > maxUserIDLen:
		p.add(ErrInvalidPermission, "the %s %s is %d bytes long; the service accepts at most %d", what, quoteName(id), len(id), maxUserIDLen)
	}
}

// usesDeprecated and usesCurrent report which of the two grant APIs the
// request uses.
func (r *TokenRequest) usesDeprecated() bool {
	if r.hasAuthorizedUserID {
		return true
	}
	for _, e := range r.entries {
		if rt := ResourceType(e.rt); rt == Space || rt == User {
			return true
		}
	}
	return false
}

func (r *TokenRequest) usesCurrent() bool {
	if r.hasAuthorizedUUID {
		return true
	}
	for _, e := range r.entries {
		if rt := ResourceType(e.rt); rt == Channel || rt == ChannelGroup || rt == UUID {
			return true
		}
	}
	return false
}

// checkEntries checks normalized entries and reports problems in the
// body's order (resources first, then type and name). Valid entries, the common case, are
// checked in one pass without sorting.
func (p *problems) checkEntries(es []entry) {
	if !slices.ContainsFunc(es, entry.invalid) {
		return
	}
	es = slices.Clone(es)
	slices.SortFunc(es, compareEntries)
	for _, e := range es {
		p.checkEntry(e)
	}
}

// invalid reports whether the service would refuse the entry.
func (e entry) invalid() bool {
	return e.name == "" || e.bits == 0 || e.bits&^ResourceType(e.rt).Allowed() != 0 || !utf8.ValidString(e.name)
}

// checkEntry reports what is wrong with one entry, if anything.
func (p *problems) checkEntry(e entry) {
	rt, name, bits := ResourceType(e.rt), e.name, e.bits
	what := rt.singular()
	if e.pattern {
		what += " pattern"
	}
	allowed := rt.Allowed()
	switch {
	case name == "":
		p.add(ErrInvalidPermission, "a %s with an empty name; give every entry a non-empty name", what)
	case !utf8.ValidString(name):
		p.add(ErrInvalidPermission, "%s %s is not valid UTF-8", what, quoteName(name))
	case bits == 0:
		p.add(ErrNoPermissions, "%s %s is granted no permission; pass at least one, e.g. pam.%s", what, quoteName(name), exampleBit(rt))
	case bits&^allowed != 0:
		p.add(ErrInvalidPermission, "%s %s cannot be granted %s; %s accept %s", what, quoteName(name), bits&^allowed, rt.plural(), allowed)
	}
}

func exampleBit(rt ResourceType) string {
	if rt == UUID || rt == User {
		return "Get"
	}
	return "Read"
}

// metaError returns what is wrong with one meta entry, or nil. An empty
// key is not wrong: the service takes any JSON object as meta and keeps the
// key in the token (Lint advises against it).
func metaError(k string, v any) error {
	if !utf8.ValidString(k) {
		return fmt.Errorf("%w: meta key %s is not valid UTF-8", ErrInvalidMeta, quoteName(k))
	}
	switch v := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
	case string:
		if !utf8.ValidString(v) {
			return fmt.Errorf("%w: meta %s: the string is not valid UTF-8", ErrInvalidMeta, quoteName(k))
		}
	case float32:
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			return fmt.Errorf("%w: meta %s: %v is not a finite number", ErrInvalidMeta, quoteName(k), v)
		}
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("%w: meta %s: %v is not a finite number", ErrInvalidMeta, quoteName(k), v)
		}
	default:
		return fmt.Errorf("%w: meta %s: a value of type %T is not a scalar; meta takes strings, booleans, integers, finite floats and nil", ErrInvalidMeta, quoteName(k), v)
	}
	return nil
}

// problems collects what is wrong with a request: the first maxProblems in
// full, then only how many more there are and which sentinels they wrap,
// so that no request makes a long error and errors.Is still matches every
// sentinel involved.
type problems struct {
	list []error
	more moreProblems
}

// add records a problem: sentinel, ": " and the formatted text.
func (p *problems) add(sentinel error, format string, args ...any) {
	if len(p.list) >= maxProblems {
		p.more.count(sentinel)
		return
	}
	p.list = append(p.list, fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...)))
}

// addErr records a problem already formatted, which wraps sentinel.
func (p *problems) addErr(sentinel, err error) {
	if len(p.list) >= maxProblems {
		p.more.count(sentinel)
		return
	}
	p.list = append(p.list, err)
}

// errs returns the problems, the ones beyond the first maxProblems as one.
func (p *problems) errs() []error {
	if p.more.n == 0 {
		return p.list
	}
	more := p.more // a copy, so that p itself stays on the caller's stack
	return append(p.list, &more)
}

// moreProblems stands for the problems beyond the first maxProblems: it
// says how many, and unwraps to the sentinels they wrap.
type moreProblems struct {
	n         int
	sentinels []error
}

func (m *moreProblems) count(sentinel error) {
	m.n++
	if !slices.Contains(m.sentinels, sentinel) {
		m.sentinels = append(m.sentinels, sentinel)
	}
}

// Error says how many problems were left out and of which kinds.
func (m *moreProblems) Error() string {
	var b strings.Builder
	b.WriteString("and ")
	b.WriteString(strconv.Itoa(m.n))
	b.WriteString(" more problems (")
	for i, s := range m.sentinels {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.Error())
	}
	b.WriteString("); fix these and validate again")
	return b.String()
}

// Unwrap returns the sentinels the left-out problems wrap.

func (m *moreProblems) Unwrap() []error { return m.sentinels }
