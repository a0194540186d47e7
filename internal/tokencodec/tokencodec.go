// Package tokencodec reads and writes the CBOR layout of Access Manager v3
// tokens (wire.md §5): a map with byte-string keys v, t, ttl, res, pat, meta,
// uuid (optional) and sig, in that order.
//
// [DecodeInto] (and [Decode]) is a small purpose-built reader for the fixed
// token layout: no reflection, one pass, every length checked against the
// remaining input before anything is allocated. Its tests hold it against a
// reference decoder built on one strict fxamacker/cbor mode, on every vector
// and in a fuzz test. [Encode] writes the layout the service writes today,
// and [Unwrap] turns the token string (base64, possibly percent-encoded)
// into CBOR bytes.
package tokencodec

// Version is the only token version this package reads.
const Version = 2

// Limits that bound the work any input can cause.
const (
	// MaxTokenLen is the longest token string accepted (32 KiB).
	MaxTokenLen = 32 << 10
	// MaxCBORLen is the most CBOR a token of MaxTokenLen characters holds.
	MaxCBORLen = MaxTokenLen / 4 * 3
	// MaxDepth is the deepest nesting of arrays and maps accepted; the
	// top-level map is at depth 1, so meta values may nest 14 levels deep.
	MaxDepth = 16
	// MaxBits is the largest permission bitmask accepted: the eight bits
	// read, write, manage, delete, create, get, update and join (wire.md §3).
	MaxBits = 0xFF
)

// Perm is the constraint for permission bitmask types: uint32 here, and the
// public pam.Permission, so that a decode can fill the public maps directly.
type Perm interface{ ~uint32 }

// GrantsOf holds one of the token's two grant maps ("res" or "pat"): for
// each resource type key, the map of names (or patterns) to permission
// bitmasks. A nil map is empty: the decoders leave maps nil when the type key
// is absent or its map is empty, and never allocate for them.
type GrantsOf[P Perm] struct {
	Chan map[string]P // "chan": channels
	Grp  map[string]P // "grp": channel groups
	UUID map[string]P // "uuid": uuids
	Usr  map[string]P // "usr": users (deprecated)
	Spc  map[string]P // "spc": spaces (deprecated)
}

// Grants is GrantsOf with plain uint32 bitmasks.
type Grants = GrantsOf[uint32]

// TokenOf is the decoded CBOR map of a token.
type TokenOf[P Perm] struct {
	Version   uint64         // "v"
	Timestamp uint64         // "t": issue time, Unix seconds
	TTL       uint64         // "ttl": minutes
	Res       GrantsOf[P]    // "res"
	Pat       GrantsOf[P]    // "pat"
	Meta      map[string]any // "meta": JSON-friendly values; nil when empty or absent
	UUID      string         // "uuid": authorized uuid
	HasUUID   bool           // whether the "uuid" key is present
	Sig       []byte         // "sig": the service's signature
}

// Token is TokenOf with plain uint32 bitmasks.
type Token = TokenOf[uint32]

// Type key indexes, in the order today's service writes them.
const (
	typeChan = iota
	typeGrp
	typeSpc
	typeUsr
	typeUUID
	numTypes
)

// typeKeys are the res/pat type keys, indexed as above.
var typeKeys = [numTypes]string{"chan", "grp", "spc", "usr", "uuid"}

// typeMap returns a pointer to the grants map for type key index i.
func (g *GrantsOf[P]) typeMap(i int) *map[string]P {
	switch i {
	case typeChan:
		return &g.Chan
	case typeGrp:
		return &g.Grp
	case typeSpc:
		return &g.Spc
	case typeUsr:
		return &g.Usr
	default:
		return &g.UUID
	}
}
