package pam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTTL is the longest token lifetime the service accepts by default.
const MaxTTL = 43200 * time.Minute

// TokenRequest describes the token to grant: its lifetime, the resources
// and patterns it gives access to, an optional authorized uuid and meta
// data. It is a plain value with no I/O; build it with the chainable
// methods, check it with [TokenRequest.Validate] and send it with
// [Client.GrantToken].
//
// Granting the same name twice ORs the permission bits. Methods on a nil
// *TokenRequest do nothing and return nil.
type TokenRequest struct {
	ttl                 time.Duration
	authorizedUUID      string
	hasAuthorizedUUID   bool
	authorizedUserID    string
	hasAuthorizedUserID bool

	// entries and meta hold what the methods added, in order. They are
	// only ever appended to: a name or key added twice is there twice, and
	// normalize merges them (ORing bits; the last meta value wins) into
	// scratch space, sorted. Slices rather than maps keep building,
	// checking and encoding a request to a few allocations, and a request
	// whose names come sorted is sorted in linear time.
	entries []entry
	meta    []metaEntry
	// owner is the request the slices were appended for. A copy of the
	// struct (owner != its address) clips them before its first append, so
	// that the copy never writes into memory the original uses.
	owner *TokenRequest
}

// entry is one resource or pattern grant.
type entry struct {
	name    string
	bits    Permission
	rt      uint8 // ResourceType
	pattern bool
}

// metaEntry is one meta key and value.
type metaEntry struct {
	key   string
	value any
}

// NewTokenRequest starts a request for a token that lives for ttl, which
// must be a whole number of minutes from 1 minute to 43200 minutes (30 days).
func NewTokenRequest(ttl time.Duration) *TokenRequest {
	return &TokenRequest{ttl: ttl}
}

// AuthorizedUUID binds the token to one uuid: only a client with that uuid
// may use it.
func (r *TokenRequest) AuthorizedUUID(id string) *TokenRequest {
	if r != nil {
		r.authorizedUUID, r.hasAuthorizedUUID = id, true
	}
	return r
}

// Channel grants p on the channel name.
func (r *TokenRequest) Channel(name string, p Permission) *TokenRequest {
	return r.add(false, Channel, name, p)
}

// ChannelGroup grants p on the channel group name.
func (r *TokenRequest) ChannelGroup(name string, p Permission) *TokenRequest {
	return r.add(false, ChannelGroup, name, p)
}

// UUID grants p on the uuid name (its App Context metadata).
func (r *TokenRequest) UUID(name string, p Permission) *TokenRequest {
	return r.add(false, UUID, name, p)
}

// ChannelPattern grants p on every channel whose name matches the regular
// expression re.
func (r *TokenRequest) ChannelPattern(re string, p Permission) *TokenRequest {
	return r.add(true, Channel, re, p)
}

// ChannelGroupPattern grants p on every channel group whose name matches re.
func (r *TokenRequest) ChannelGroupPattern(re string, p Permission) *TokenRequest {
	return r.add(true, ChannelGroup, re, p)
}

// UUIDPattern grants p on every uuid that matches re.
func (r *TokenRequest) UUIDPattern(re string, p Permission) *TokenRequest {
	return r.add(true, UUID, re, p)
}

// Meta adds a key and a scalar value (string, bool, integer, finite float
// or nil) to the token's meta data.
func (r *TokenRequest) Meta(key string, value any) *TokenRequest {
	if r != nil {
		r.own()
		if r.meta == nil {
			r.meta = make([]metaEntry, 0, 4)
		}
		r.meta = append(r.meta, metaEntry{key, value})
	}
	return r
}

// AuthorizedUserID binds the token to one user id.
//
// Deprecated: use [TokenRequest.AuthorizedUUID]; it is sent the same way.
func (r *TokenRequest) AuthorizedUserID(id string) *TokenRequest {
	if r != nil {
		r.authorizedUserID, r.hasAuthorizedUserID = id, true
	}
	return r
}

// Space grants p on the space name, sent as a channel.
//
// Deprecated: use [TokenRequest.Channel].
func (r *TokenRequest) Space(name string, p Permission) *TokenRequest {
	return r.add(false, Space, name, p)
}

// SpacePattern grants p on every space that matches re, sent as a channel
// pattern.
//
// Deprecated: use [TokenRequest.ChannelPattern].
func (r *TokenRequest) SpacePattern(re string, p Permission) *TokenRequest {
	return r.add(true, Space, re, p)
}

// User grants p on the user name, sent as a uuid.
//
// Deprecated: use [TokenRequest.UUID].
func (r *TokenRequest) User(name string, p Permission) *TokenRequest {
	return r.add(false, User, name, p)
}

// UserPattern grants p on every user that matches re, sent as a uuid
// pattern.
//
// Deprecated: use [TokenRequest.UUIDPattern].
func (r *TokenRequest) UserPattern(re string, p Permission) *TokenRequest {
	return r.add(true, User, re, p)
}

func (r *TokenRequest) add(pattern bool, rt ResourceType, name string, p Permission) *TokenRequest {
	if r == nil {
		return nil
	}
	r.own()
	if r.entries == nil {
		r.entries = make([]entry, 0, 8)
	}
	r.entries = append(r.entries, entry{name: name, bits: p, rt: uint8(rt), pattern: pattern})
	return r
}

// own makes r the owner of its slices; see TokenRequest.owner.
func (r *TokenRequest) own() {
	if r.owner != r {
		r.entries, r.meta = slices.Clip(r.entries), slices.Clip(r.meta)
		r.owner = r
	}
}

// normalize returns r's entries with repeated names merged (their bits
// ORed), sorted by kind (resources first), wire type, name and type, and
// its meta with repeated keys merged (the last value wins), sorted by key.
// It appends to the given scratch slices (slices of stack arrays, for small
// requests) and leaves r unchanged.
func (r *TokenRequest) normalize(es []entry, ms []metaEntry) ([]entry, []metaEntry) {
	es = append(es[:0], r.entries...)
	slices.SortFunc(es, compareEntries)
	out := es[:0]
	for _, e := range es {
		if n := len(out); n > 0 && out[n-1].pattern == e.pattern && out[n-1].rt == e.rt && out[n-1].name == e.name {
			out[n-1].bits |= e.bits
			continue
		}
		out = append(out, e)
	}
	ms = append(ms[:0], r.meta...)
	slices.SortStableFunc(ms, func(a, b metaEntry) int { return strings.Compare(a.key, b.key) })
	mout := ms[:0]
	for _, m := range ms {
		if n := len(mout); n > 0 && mout[n-1].key == m.key {
			mout[n-1] = m // added later: wins
			continue
		}
		mout = append(mout, m)
	}
	return out, mout
}

// compareEntries orders entries for the body: resources before patterns,
// then by the type they are sent as (channels, groups, uuids), name and
// type (so that a Space follows the Channel of the same name).
func compareEntries(a, b entry) int {
	if a.pattern != b.pattern {
		if b.pattern {
			return -1
		}
		return 1
	}
	if wa, wb := wireType(ResourceType(a.rt)), wireType(ResourceType(b.rt)); wa != wb {
		return int(wa - wb)
	}
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return int(a.rt) - int(b.rt)
}

// grantMaps returns the request's grants as maps indexed by ResourceType
// (merged, as normalize merges them), and its meta as a map.
func (r *TokenRequest) grantMaps() (res, pat [5]map[string]Permission, meta map[string]any) {
	es, ms := r.normalize(nil, nil)
	for _, e := range es {
		set := &res
		if e.pattern {
			set = &pat
		}
		if set[e.rt] == nil {
			set[e.rt] = make(map[string]Permission)
		}
		set[e.rt][e.name] = e.bits
	}
	if len(ms) > 0 {
		meta = make(map[string]any, len(ms))
		for _, m := range ms {
			meta[m.key] = m.value
		}
	}
	return res, pat, meta
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

// Validate checks the request as the service would, without sending it, and
// reports every problem at once (joined with [errors.Join]). Each problem
// wraps one of [ErrInvalidTTL], [ErrNoPermissions], [ErrInvalidPermission],
// [ErrInvalidMeta] or [ErrMixedAPIs]. Regular expressions are left to the
// service, whose dialect is not Go's; [TokenRequest.Lint] warns about them.
func (r *TokenRequest) Validate() error {
	if r == nil {
		return fmt.Errorf("%w: the token request is nil; build one with pam.NewTokenRequest", ErrNoPermissions)
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	return r.validate(r.normalize(esBuf[:0], msBuf[:0]))
}

// validate is Validate given the normalized entries and meta.
func (r *TokenRequest) validate(es []entry, ms []metaEntry) error {
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
	errs = appendMetaErrors(errs, ms)
	return errors.Join(errs...)
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

// MarshalJSON returns the grant request body exactly as
// [Client.GrantToken] sends it. It does not validate the request.
func (r *TokenRequest) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	return r.appendBody(make([]byte, 0, r.bodySizeHint(es, ms)), es, ms), nil
}

// bodySizeHint estimates the body's length so it is built in one allocation.
func (r *TokenRequest) bodySizeHint(es []entry, ms []metaEntry) int {
	n := 256 + len(r.authorizedUUID) + len(r.authorizedUserID)
	for _, e := range es {
		n += len(e.name) + 8
	}
	for _, m := range ms {
		n += len(m.key) + 32
	}
	return n
}

// appendBody appends the grant body for the normalized entries and meta:
// ttl, then permissions with resources and patterns (all five type maps,
// names sorted), meta (always an object) and uuid (only when set). The
// deprecated spaces and users go out as channels and uuids; the users and
// spaces maps stay empty, as every official SDK sends them.
func (r *TokenRequest) appendBody(b []byte, es []entry, ms []metaEntry) []byte {
	n := len(es)
	for i, e := range es {
		if e.pattern {
			n = i
			break
		}
	}
	b = append(b, `{"ttl":`...)
	b = strconv.AppendInt(b, int64(r.ttl/time.Minute), 10)
	b = append(b, `,"permissions":{"resources":`...)
	b = appendGrants(b, es[:n])
	b = append(b, `,"patterns":`...)
	b = appendGrants(b, es[n:])
	b = append(b, `,"meta":{`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.key)
		b = append(b, ':')
		b = appendJSONScalar(b, m.value)
	}
	b = append(b, '}')
	switch {
	case r.hasAuthorizedUUID:
		b = append(b, `,"uuid":`...)
		b = appendJSONString(b, r.authorizedUUID)
	case r.hasAuthorizedUserID:
		b = append(b, `,"uuid":`...)
		b = appendJSONString(b, r.authorizedUserID)
	}
	return append(b, "}}"...)
}

// appendGrants appends the type maps of one kind from its normalized
// entries, which are sorted by wire type and name: a Space and a Channel of
// the same name (a User and a UUID) are one entry with their bits ORed.
func appendGrants(b []byte, es []entry) []byte {
	for _, wt := range [...]ResourceType{Channel, ChannelGroup, UUID} {
		switch wt {
		case Channel:
			b = append(b, `{"channels":{`...)
		case ChannelGroup:
			b = append(b, `},"groups":{`...)
		case UUID:
			b = append(b, `},"uuids":{`...)
		}
		first := true
		for len(es) > 0 && wireType(ResourceType(es[0].rt)) == wt {
			name, bits := es[0].name, es[0].bits
			es = es[1:]
			for len(es) > 0 && es[0].name == name && wireType(ResourceType(es[0].rt)) == wt {
				bits |= es[0].bits
				es = es[1:]
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(bits), 10)
		}
	}
	return append(b, `},"users":{},"spaces":{}}`...)
}

// appendJSONScalar appends a meta value.
func appendJSONScalar(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	}
	// Floats, and values Validate rejects (so that MarshalJSON still shows
	// them), go through encoding/json; what it cannot encode is null.
	if out, err := json.Marshal(v); err == nil {
		return append(b, out...)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string with the escaping
// encoding/json uses (including <, > and & as \u003c, \u003e, \u0026, and
// invalid UTF-8 as \ufffd), so bodies match the official Go SDK's.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// grantResponse is the body of a successful grant.
type grantResponse struct {
	Data struct {
		Token string `json:"token"`
	} `json:"data"`
}

// GrantToken asks the service for a token as r describes and returns it.
// It validates r first (see [TokenRequest.Validate]) and checks that the
// client has the secret and publish keys; when either check fails nothing is
// sent. An error answer from the service is an *[APIError].
func (c *Client) GrantToken(ctx context.Context, r *TokenRequest) (string, error) {
	const op = "grant token"
	if r == nil {
		return "", errors.Join(r.Validate(), c.signingKeysError(op))
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	if err := errors.Join(r.validate(es, ms), c.signingKeysError(op)); err != nil {
		return "", err
	}
	return c.grantBody(ctx, r.appendBody(make([]byte, 0, r.bodySizeHint(es, ms)), es, ms))
}

// grantBody sends a grant with a validated body and returns the token the
// service answers with. [GrantCache] sends its shared grants through it.
func (c *Client) grantBody(ctx context.Context, body []byte) (string, error) {
	const op = "grant token"
	data, err := c.do(ctx, op, "POST", "/v3/pam/"+escapePathSegment(c.keys.Subscribe)+"/grant", body)
	if err != nil {
		return "", err
	}
	token, ok := scanGrantAnswer(data)
	if !ok {
		// Anything outside the scanner's subset: encoding/json decides.
		var resp grantResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return "", fmt.Errorf("pam: %s: the service's answer is not the expected JSON (%v); check the origin points at PubNub", op, err)
		}
		token = resp.Data.Token
	}
	if token == "" {
		return "", fmt.Errorf("pam: %s: the service answered without a token; check the origin points at PubNub", op)
	}
	return token, nil
}

// scanGrantAnswer reads data.token from a grant answer such as
// {"data":{"message":"Success","token":"…"},"service":"Access Manager","status":200}
// in one pass, without reflection, for what json.Unmarshal into
// grantResponse would spend most of a grant's time on. It validates the
// whole document, but understands only a subset of JSON: ok is false, and
// the caller must use encoding/json, for anything outside it. Outside are
// string escapes, non-ASCII keys, keys that match "data" or "token" only
// case-insensitively (encoding/json would accept them), a repeated "data"
// or "token", a "data" that is not an object, a token that is empty, not a
// string or not ASCII, nesting deeper than maxScanDepth, and invalid JSON.
// Whenever ok is true, json.Unmarshal returns the same token without error
// (FuzzScanGrantAnswer checks this).
func scanGrantAnswer(b []byte) (token string, ok bool) {
	s := jsonScanner{b: b}
	if !s.consume('{') {
		return "", false
	}
	var tok []byte
	seenData := false
	for first := true; ; first = false {
		if s.consume('}') {
			break
		}
		if !first && !s.consume(',') {
			return "", false
		}
		key, ok := s.key()
		if !ok {
			return "", false
		}
		switch scanKeyIs(key, "data") {
		case keyMismatch:
			if !s.skipValue(1) {
				return "", false
			}
			continue
		case keyFolded:
			return "", false
		}
		if seenData || !s.consume('{') {
			return "", false
		}
		seenData = true
		for first := true; ; first = false {
			if s.consume('}') {
				break
			}
			if !first && !s.consume(',') {
				return "", false
			}
			key, ok := s.key()
			if !ok {
				return "", false
			}
			switch scanKeyIs(key, "token") {
			case keyMismatch:
				if !s.skipValue(2) {
					return "", false
				}
				continue
			case keyFolded:
				return "", false
			}
			if tok != nil {
				return "", false
			}
			if tok, ok = s.str(); !ok || len(tok) == 0 {
				return "", false
			}
			for _, c := range tok {
				if c >= utf8.RuneSelf {
					return "", false
				}
			}
		}
	}
	s.space()
	if s.i != len(s.b) || tok == nil {
		return "", false
	}
	return string(tok), true
}

// maxScanDepth bounds the nesting scanGrantAnswer skips over.
const maxScanDepth = 16

// Results of scanKeyIs.
const (
	keyMismatch = iota // not the key
	keyExact           // the key
	keyFolded          // the key only case-insensitively, or not ASCII
)

// scanKeyIs compares an object key with the field name want as
// encoding/json matches struct fields: exactly, or else case-insensitively
// (with Unicode folds such as the Kelvin sign for k, hence keyFolded for
// any non-ASCII key).
func scanKeyIs(key []byte, want string) int {
	if string(key) == want {
		return keyExact
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return keyFolded
		}
	}
	if len(key) == len(want) && strings.EqualFold(string(key), want) {
		return keyFolded
	}
	return keyMismatch
}

// jsonScanner is the reader behind scanGrantAnswer. Its methods skip
// leading white space and return false for anything outside the subset.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume reads the byte c.
func (s *jsonScanner) consume(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads an object key and the colon after it.
func (s *jsonScanner) key() ([]byte, bool) {
	k, ok := s.str()
	return k, ok && s.consume(':')
}

// str reads a string without escapes and returns its contents.
func (s *jsonScanner) str() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// skipValue skips one value inside a container at the given depth.
func (s *jsonScanner) skipValue(depth int) bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{' || c == '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		for first := true; ; first = false {
			if s.consume(end) {
				return true
			}
			if !first && !s.consume(',') {
				return false
			}
			if c == '{' {
				if _, ok := s.key(); !ok {
					return false
				}
			}
			if !s.skipValue(depth + 1) {
				return false
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return true
		}
	}
	return false
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// signingKeysError reports a missing secret or publish key.
func (c *Client) signingKeysError(op string) error {
	var errs []error
	if c.keys.Secret == "" {
		errs = append(errs, fmt.Errorf("%w: %s needs Keys.Secret to sign the request; only servers should hold it", ErrMissingSecretKey, op))
	}
	if c.keys.Publish == "" {
		errs = append(errs, fmt.Errorf("%w: %s needs Keys.Publish, which is part of every signature", ErrMissingPublishKey, op))
	}
	return errors.Join(errs...)
}
