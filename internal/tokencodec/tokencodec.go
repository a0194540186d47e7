// Package tokencodec reads and writes the CBOR layout of Access Manager v3
// tokens (wire.md §5): a map with byte-string keys v, t, ttl, res, pat, meta,
// uuid (optional) and sig, in that order.
package tokencodec

// Grants holds one of the token's two grant maps ("res" or "pat"): for each
// resource type key, the map of names (or patterns) to permission bitmasks.
// A nil map means the type key was absent from the token.
type Grants struct {
	Chan map[string]uint32 // "chan": channels
	Grp  map[string]uint32 // "grp": channel groups
	UUID map[string]uint32 // "uuid": uuids
	Usr  map[string]uint32 // "usr": users (deprecated)
	Spc  map[string]uint32 // "spc": spaces (deprecated)
}

// Token is the decoded CBOR map of a token.
type Token struct {
	Version   uint64         // "v"
	Timestamp uint64         // "t": issue time, Unix seconds
	TTL       uint64         // "ttl": minutes
	Res       Grants         // "res"
	Pat       Grants         // "pat"
	Meta      map[string]any // "meta": JSON-friendly values
	UUID      string         // "uuid": authorized uuid
	HasUUID   bool           // whether the "uuid" key is present
	Sig       []byte         // "sig": the service's signature
}
