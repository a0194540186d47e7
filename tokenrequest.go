package pam

import (
	"slices"
	"strings"
	"time"
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
