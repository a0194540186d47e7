package pam

// TEMPORARY: a stand-in for the lead's grant.go so that lint.go compiles
// and can be tested on the tokens branch. Delete this file when merging.

import "time"

// TokenRequest describes a token to grant.
type TokenRequest struct {
	ttl                 time.Duration
	authorizedUUID      string
	hasAuthorizedUUID   bool
	authorizedUserID    string
	hasAuthorizedUserID bool
	res                 [5]map[string]Permission // indexed by ResourceType
	pat                 [5]map[string]Permission
	meta                map[string]any
}

// NewTokenRequest starts a request for a token that lives for ttl.
func NewTokenRequest(ttl time.Duration) *TokenRequest { return &TokenRequest{ttl: ttl} }

// AuthorizedUUID binds the token to one uuid.
func (r *TokenRequest) AuthorizedUUID(id string) *TokenRequest {
	r.authorizedUUID, r.hasAuthorizedUUID = id, true
	return r
}

// AuthorizedUserID binds the token to one user id.
func (r *TokenRequest) AuthorizedUserID(id string) *TokenRequest {
	r.authorizedUserID, r.hasAuthorizedUserID = id, true
	return r
}

// Channel grants p on a channel.
func (r *TokenRequest) Channel(name string, p Permission) *TokenRequest {
	return r.add(&r.res, Channel, name, p)
}

// ChannelGroup grants p on a channel group.
func (r *TokenRequest) ChannelGroup(name string, p Permission) *TokenRequest {
	return r.add(&r.res, ChannelGroup, name, p)
}

// UUID grants p on a uuid.
func (r *TokenRequest) UUID(name string, p Permission) *TokenRequest {
	return r.add(&r.res, UUID, name, p)
}

// ChannelPattern grants p on matching channels.
func (r *TokenRequest) ChannelPattern(re string, p Permission) *TokenRequest {
	return r.add(&r.pat, Channel, re, p)
}

// ChannelGroupPattern grants p on matching channel groups.
func (r *TokenRequest) ChannelGroupPattern(re string, p Permission) *TokenRequest {
	return r.add(&r.pat, ChannelGroup, re, p)
}

// UUIDPattern grants p on matching uuids.
func (r *TokenRequest) UUIDPattern(re string, p Permission) *TokenRequest {
	return r.add(&r.pat, UUID, re, p)
}

// Space grants p on a space.
func (r *TokenRequest) Space(name string, p Permission) *TokenRequest {
	return r.add(&r.res, Space, name, p)
}

// SpacePattern grants p on matching spaces.
func (r *TokenRequest) SpacePattern(re string, p Permission) *TokenRequest {
	return r.add(&r.pat, Space, re, p)
}

// User grants p on a user.
func (r *TokenRequest) User(name string, p Permission) *TokenRequest {
	return r.add(&r.res, User, name, p)
}

// UserPattern grants p on matching users.
func (r *TokenRequest) UserPattern(re string, p Permission) *TokenRequest {
	return r.add(&r.pat, User, re, p)
}

// Meta sets a meta value.
func (r *TokenRequest) Meta(key string, value any) *TokenRequest {
	if r.meta == nil {
		r.meta = make(map[string]any)
	}
	r.meta[key] = value
	return r
}

func (r *TokenRequest) add(set *[5]map[string]Permission, rt ResourceType, name string, p Permission) *TokenRequest {
	m := set[rt]
	if m == nil {
		m = make(map[string]Permission)
		set[rt] = m
	}
	m[name] |= p
	return r
}
