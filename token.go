package pam

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/pamkit/pam/internal/authz"
	"github.com/pamkit/pam/internal/tokencodec"
)

// Token is a decoded Access Manager v3 token: what it grants, to whom, and
// for how long. Get one with [ParseToken]; no [Client] or network is needed.
//
// A Token keeps its patterns compiled in an unexported field, shared by its
// copies, so reflect.DeepEqual may tell apart two tokens with the same
// fields once one of them has been used; compare the fields instead.
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

	// compiled keeps the patterns compiled, for Allows and Authorize;
	// nil in a Token built in code. Copies of the Token share it, which is
	// right since it is keyed by the patterns themselves.
	compiled *authz.TokenCache
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
	case Channel, Space, ChannelGroup, UUID, User:
		return g.checked()[typeIndex(rt)], true
	}
	return nil, false
}

// checked returns the maps the service checks, in the order of the
// authorization engine's types: channels, channel groups, uuids.
func (g *Grants) checked() [authz.Types]map[string]Permission {
	return [authz.Types]map[string]Permission{g.Channels, g.ChannelGroups, g.UUIDs}
}

// typeIndex returns the index of rt's map in checked: Space is a channel
// and User a uuid on the wire. An unknown type is 0.
func typeIndex(rt ResourceType) int {
	switch rt {
	case ChannelGroup:
		return 1
	case UUID, User:
		return 2
	}
	return 0
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
	t, err := parseToken(token)
	if err != nil {
		return nil, opErr("", err)
	}
	return t, nil
}

// parseToken is ParseToken; its errors name no operation.
func parseToken(token string) (*Token, error) {
	var buf [1024]byte
	raw, err := unwrapToken(buf[:0], token)
	if err != nil {
		return nil, err
	}
	// The Token, its signature (32 bytes from the service) and the room
	// for its compiled patterns are one allocation.
	ts := new(struct {
		tok      Token
		sig      [32]byte
		compiled authz.TokenCache
	})
	ct := tokencodec.TokenOf[Permission]{Sig: ts.sig[:0:len(ts.sig)]}
	if err := tokencodec.DecodeInto(string(raw), &ct); err != nil {
		return nil, codecError(err)
	}
	if err := checkTimes(ct.Timestamp, ct.TTL); err != nil {
		return nil, err
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
		compiled:  &ts.compiled,
	}
	return &ts.tok, nil
}

// checkToken reports whether token parses, as ParseToken would say, without
// building the Token: it is how a grant's answer is checked, at a fraction
// of the cost (see [tokencodec.Check]).
func checkToken(token string) error {
	var buf [1024]byte
	raw, err := unwrapToken(buf[:0], token)
	if err != nil {
		return err
	}
	ts, ttl, err := tokencodec.Check(string(raw))
	if err != nil {
		return codecError(err)
	}
	return checkTimes(ts, ttl)
}

// unwrapToken turns a token string (trimmed, base64, maybe percent-encoded)
// into its CBOR, appended to dst.
func unwrapToken(dst []byte, token string) ([]byte, error) {
	if len(token) <= tokencodec.MaxTokenLen { // Unwrap rejects longer ones
		token = strings.TrimSpace(token)
	}
	raw, err := tokencodec.Unwrap(dst, token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedToken, err)
	}
	return raw, nil
}

// codecError is the error for a token whose CBOR does not decode.
func codecError(err error) error {
	if ve := (*tokencodec.VersionError)(nil); errors.As(err, &ve) {
		return fmt.Errorf("%w %d: this package reads version 2 tokens", ErrUnsupportedVersion, ve.Version)
	}
	return fmt.Errorf("%w: %w", ErrMalformedToken, err)
}

// checkTimes checks that a token's issue time and TTL give an expiry
// before year 10000 that a time.Duration can hold.
func checkTimes(timestamp, ttl uint64) error {
	if timestamp > maxUnix {
		return fmt.Errorf("%w: issue time %d is after year 9999", ErrMalformedToken, timestamp)
	}
	if ttl > (maxUnix-timestamp)/60 || ttl > math.MaxInt64/uint64(time.Minute) {
		return fmt.Errorf("%w: a ttl of %d %s is out of range", ErrMalformedToken, ttl, plural(int(min(ttl, 2)), "minute", "minutes"))
	}
	return nil
}

// ExpiresAt returns when the token stops being valid: IssuedAt + TTL.
func (t *Token) ExpiresAt() time.Time { return t.IssuedAt.Add(t.TTL) }

// Expired reports whether the token has expired at now: from ExpiresAt on.
func (t *Token) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt()) }

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
// big) or, with a fraction or exponent (or "-0"), float64; a number beyond
// float64, or meta nested deeper than a token can hold, is an error.
func (t *Token) UnmarshalJSON(data []byte) error {
	var j tokenJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return opErr("token JSON", errors.New("data after the object"))
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(j.Signature, "="))
	if err != nil {
		return opErr("token JSON", fmt.Errorf("signature: %w", err))
	}
	*t = Token{
		Version:   j.Version,
		IssuedAt:  time.Unix(j.Timestamp, 0).UTC(),
		TTL:       time.Duration(j.TTL) * time.Minute,
		Resources: j.Resources.grants(),
		Patterns:  j.Patterns.grants(),
		Signature: sig,
		compiled:  new(authz.TokenCache),
	}
	if len(j.Meta) > 0 {
		if _, err := tokencodec.FromJSON(j.Meta, tokencodec.MaxMetaNesting); err != nil {
			return opErr("token JSON", fmt.Errorf("meta %w", err))
		}
		t.Meta = j.Meta
	}
	if j.AuthorizedUUID != nil {
		t.AuthorizedUUID = *j.AuthorizedUUID
	}
	return nil
}
