package pam

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate checks the request as the service would, without sending it, and
// reports every problem at once (joined with [errors.Join]). Each problem
// wraps one of [ErrInvalidTTL], [ErrNoPermissions], [ErrInvalidPermission],
// [ErrInvalidMeta] or [ErrMixedAPIs]. Regular expressions are left to the
// service, whose dialect is not Go's; [TokenRequest.Lint] warns about them.
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

// validate is Validate given the normalized entries and meta.
func (r *TokenRequest) validate(es []entry, ms []metaEntry) []error {
	var errs []error
	if r.ttl%time.Minute != 0 || r.ttl < time.Minute || r.ttl > MaxTTL {
		errs = append(errs, fmt.Errorf("%w: %v is not a whole number of minutes from 1m to 720h (43200 minutes); pass e.g. 15*time.Minute", ErrInvalidTTL, r.ttl))
	}
	if r.usesDeprecated() && r.usesCurrent() {
		errs = append(errs, fmt.Errorf("%w: Space, SpacePattern, User, UserPattern and AuthorizedUserID cannot be combined with Channel, ChannelGroup, UUID, their patterns or AuthorizedUUID; use only the current methods", ErrMixedAPIs))
	}
	if r.hasAuthorizedUUID && r.authorizedUUID == "" {
		errs = append(errs, fmt.Errorf("%w: the authorized uuid is empty; pass the uuid the token is for, or leave AuthorizedUUID out to mint a token any uuid may use", ErrInvalidPermission))
	}
	if r.hasAuthorizedUserID && r.authorizedUserID == "" {
		errs = append(errs, fmt.Errorf("%w: the authorized user id is empty; pass the user id the token is for, or leave AuthorizedUserID out", ErrInvalidPermission))
	}
	errs = appendEntryErrors(errs, es)
	if len(es) == 0 {
		errs = append(errs, fmt.Errorf("%w: the request grants nothing; add a resource or pattern, e.g. Channel(\"room-1\", pam.Read)", ErrNoPermissions))
	}
	return appendMetaErrors(errs, ms)
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

// appendEntryErrors checks normalized entries and reports problems by kind
// (resources first), type and name. Valid entries, the common case, are
// checked in one pass without sorting.
func appendEntryErrors(errs []error, es []entry) []error {
	valid := true
	for _, e := range es {
		if e.name == "" || e.bits == 0 || e.bits&^ResourceType(e.rt).Allowed() != 0 || !utf8.ValidString(e.name) {
			valid = false
			break
		}
	}
	if valid {
		return errs
	}
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b entry) int {
		if a.pattern != b.pattern {
			if b.pattern {
				return -1
			}
			return 1
		}
		if a.rt != b.rt {
			return int(a.rt) - int(b.rt)
		}
		return strings.Compare(a.name, b.name)
	})
	for _, e := range es {
		rt, name, p := ResourceType(e.rt), e.name, e.bits
		what := rt.singular()
		if e.pattern {
			what += " pattern"
		}
		allowed := rt.Allowed()
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("%w: a %s with an empty name; give every entry a non-empty name", ErrInvalidPermission, what))
		case !utf8.ValidString(name):
			errs = append(errs, fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalidPermission, what, name))
		case p == 0:
			errs = append(errs, fmt.Errorf("%w: %s %q is granted no permission; pass at least one, e.g. pam.%s", ErrNoPermissions, what, name, exampleBit(rt)))
		case p&^allowed != 0:
			errs = append(errs, fmt.Errorf("%w: %s %q cannot be granted %s; %s accept %s", ErrInvalidPermission, what, name, p&^allowed, rt, allowed))
		}
	}
	return errs
}

func exampleBit(rt ResourceType) string {
	if rt == UUID || rt == User {
		return "Get"
	}
	return "Read"
}

// appendMetaErrors checks that every meta value (normalized: sorted by
// key, one per key) is a scalar JSON can carry.
func appendMetaErrors(errs []error, ms []metaEntry) []error {
	for _, m := range ms {
		if err := metaError(m.key, m.value); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// metaError returns what is wrong with one meta entry, or nil.
func metaError(k string, v any) error {
	if k == "" {
		return fmt.Errorf("%w: a meta key is empty; use a non-empty key", ErrInvalidMeta)
	}
	if !utf8.ValidString(k) {
		return fmt.Errorf("%w: meta key %q is not valid UTF-8", ErrInvalidMeta, k)
	}
	switch v := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
	case string:
		if !utf8.ValidString(v) {
			return fmt.Errorf("%w: meta %q: the string is not valid UTF-8", ErrInvalidMeta, k)
		}
	case float32:
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			return fmt.Errorf("%w: meta %q: %v is not a finite number", ErrInvalidMeta, k, v)
		}
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("%w: meta %q: %v is not a finite number", ErrInvalidMeta, k, v)
		}
	default:
		return fmt.Errorf("%w: meta %q: a value of type %T is not a scalar; meta takes strings, booleans, integers, finite floats and nil", ErrInvalidMeta, k, v)
	}
	return nil
}
