package tokencodec

import "strconv"

// SyntaxError is a token whose CBOR does not have the token layout.
type SyntaxError struct {
	Offset int    // byte offset of the offending item in the CBOR; -1 for the whole token
	Msg    string // what was wrong
}

// Error returns the message with its offset.
func (e *SyntaxError) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return e.Msg + " (at byte " + strconv.Itoa(e.Offset) + ")"
}

// VersionError is a token with a version other than [Version].
type VersionError struct {
	Version uint64
}

// Error names the version found.
func (e *VersionError) Error() string {
	return "token version " + strconv.FormatUint(e.Version, 10) + ", only version 2 is supported"
}

// Top-level keys, as bits of the "seen" set.
const (
	keyV = 1 << iota
	keyT
	keyTTL
	keyRes
	keyPat
	keyMeta
	keyUUID
	keySig

	keysRequired = keyV | keyT | keyTTL | keyRes | keyPat | keySig
)

// Decode decodes the CBOR of a token. The strings in the result share one
// copy of b.
func Decode(b []byte) (*Token, error) {
	t := new(Token)
	if err := DecodeInto(string(b), t); err != nil {
		return nil, err
	}
	return t, nil
}

// DecodeInto decodes the CBOR of a token held in s into t, which it
// overwrites. Every string in the result is a substring of s; the only
// allocations are the non-empty maps, the meta values and a copy of the
// signature, which goes into the memory of t.Sig when its capacity allows
// (so that a caller can place it beside the result). It accepts only the token layout: a definite-length map with
// byte-string keys, version 2, valid UTF-8 text, no duplicate keys, no
// trailing bytes, nesting and lengths within the limits, bitmasks within
// [MaxBits], JSON-friendly meta values. Keys it does not know, at the top
// level or among the res/pat type keys, are skipped if their values are
// JSON-friendly, so that additions to the format do not break parsing.
func DecodeInto[P Perm](s string, t *TokenOf[P]) error {
	return decodeInto(&decoder{s: s}, t)
}

// decodeInto is DecodeInto reading from d.
func decodeInto[P Perm](d *decoder, t *TokenOf[P]) error {
	sigBuf := t.Sig[:0]
	*t = TokenOf[P]{}
	if len(d.s) > MaxCBORLen {
		return &SyntaxError{Offset: -1, Msg: "token is longer than " + strconv.Itoa(MaxCBORLen) + " bytes"}
	}
	n, err := d.mapHead(&where{sec: "cbor"}, 1)
	if err != nil {
		return err
	}
	var seen int
	for range n {
		start := d.off
		key, ok := d.shortStr(majorBytes)
		if !ok {
			if key, err = d.bytes(&where{sec: "cbor key"}); err != nil {
				return err
			}
		}
		switch bit := topKeyBit(key); {
		case bit == 0:
			err = d.skipUnknown(start, key, 1)
		case seen&bit != 0:
			return d.fail(start, "duplicate key "+quoteClipped(key))
		default:
			seen |= bit
			err = decodeTop(d, t, bit, sigBuf)
		}
		if err != nil {
			return err
		}
	}
	if d.off != len(d.s) {
		return d.fail(d.off, "extra data after the token map")
	}
	return d.missingKeys(seen)
}

// topKeyBit returns the bit of a top-level key, 0 for an unknown one.
func topKeyBit(key string) int {
	switch key {
	case "v":
		return keyV
	case "t":
		return keyT
	case "ttl":
		return keyTTL
	case "res":
		return keyRes
	case "pat":
		return keyPat
	case "meta":
		return keyMeta
	case "uuid":
		return keyUUID
	case "sig":
		return keySig
	}
	return 0
}

// decodeTop decodes the value of the top-level key whose bit is given into
// t; sigBuf is where the signature goes when its capacity allows.
func decodeTop[P Perm](d *decoder, t *TokenOf[P], bit int, sigBuf []byte) error {
	var err error
	switch bit {
	case keyV:
		t.Version, err = d.version()
	case keyT:
		t.Timestamp, err = d.expect(majorUint, &where{sec: "t"})
	case keyTTL:
		t.TTL, err = d.expect(majorUint, &where{sec: "ttl"})
	case keyRes:
		err = decodeGrants(d, &t.Res, "res")
	case keyPat:
		err = decodeGrants(d, &t.Pat, "pat")
	case keyMeta:
		t.Meta, err = d.metaMap(2, true)
	case keyUUID:
		t.UUID, err = d.text(&where{sec: "uuid"})
		t.HasUUID = true
	case keySig:
		t.Sig, err = d.sig(sigBuf)
	}
	return err
}

// version reads the token version, which must be Version.
func (d *decoder) version() (uint64, error) {
	v, err := d.expect(majorUint, &where{sec: "v"})
	if err != nil {
		return 0, err
	}
	if v != Version {
		return 0, &VersionError{Version: v}
	}
	return v, nil
}

// sig reads the signature and copies it into buf (appending; nil buf or too
// little capacity allocates). In check mode it copies nothing.
func (d *decoder) sig(buf []byte) ([]byte, error) {
	sig, err := d.bytes(&where{sec: "sig"})
	if err != nil || d.check {
		return nil, err
	}
	if buf = append(buf, sig...); buf == nil {
		buf = []byte{} // present and empty, as the reference decodes it
	}
	return buf, nil
}

// missingKeys reports the first required key that is not in seen.
func (d *decoder) missingKeys(seen int) error {
	if missing := keysRequired &^ seen; missing != 0 {
		for i, name := range [...]string{"v", "t", "ttl", "res", "pat", "meta", "uuid", "sig"} {
			if missing&(1<<i) != 0 {
				return d.fail(-1, "missing key "+strconv.Quote(name))
			}
		}
	}
	return nil
}

// skipUnknown checks that an unknown key is not a duplicate and skips its
// value, which must be a JSON-friendly value like meta's. Unknown keys are
// ignored so that additions to the format do not break parsing.
func (d *decoder) skipUnknown(start int, key string, depth int) error {
	if d.unknown == nil {
		d.unknown = make(map[string]struct{})
	}
	if _, dup := d.unknown[key]; dup {
		return d.fail(start, "duplicate key "+quoteClipped(key))
	}
	d.unknown[key] = struct{}{}
	_, err := d.value(depth)
	return err
}

// decodeGrants reads a "res" or "pat" map, whatever the order of its type
// keys.
func decodeGrants[P Perm](d *decoder, g *GrantsOf[P], sec string) error {
	var err error
	n, ok := d.smallMap() // depth 2
	if !ok {
		if n, err = d.mapHead(&where{sec: sec}, 2); err != nil {
			return err
		}
	}
	saved := d.unknown // the top-level map's unknown keys
	d.unknown = nil
	var seen [numTypes]bool
	for range n {
		start := d.off
		key, ok := d.shortStr(majorBytes)
		if !ok {
			if key, err = d.bytes(&where{sec: sec, role: "type key"}); err != nil {
				return err
			}
		}
		idx := typeIndex(key)
		if idx < 0 {
			if err := d.skipUnknown(start, key, 2); err != nil {
				return err
			}
			continue
		}
		if seen[idx] {
			return d.fail(start, sec+": duplicate type key "+quoteClipped(key))
		}
		seen[idx] = true
		m, err := decodeNames[P](d, sec, typeKeys[idx])
		if err != nil {
			return err
		}
		*g.typeMap(idx) = m
	}
	d.unknown = saved
	return nil
}

// typeIndex returns the index of a res/pat type key, or -1.
func typeIndex(key string) int {
	switch key {
	case "chan":
		return typeChan
	case "grp":
		return typeGrp
	case "spc":
		return typeSpc
	case "usr":
		return typeUsr
	case "uuid":
		return typeUUID
	}
	return -1
}

// decodeNames reads a map of names (or patterns) to permission bitmasks.
// An empty map is returned as nil.
func decodeNames[P Perm](d *decoder, sec, key string) (map[string]P, error) {
	var err error
	n, ok := d.smallMap() // depth 3
	if !ok {
		if n, err = d.mapHead(&where{sec: sec, key: key}, 3); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, nil
	}
	if d.check {
		return nil, d.checkNames(n, sec, key)
	}
	m := make(map[string]P, n)
	for i := range n {
		start := d.off
		name, v, err := d.nameEntry(sec, key)
		if err != nil {
			return nil, err
		}
		m[name] = P(v)
		if len(m) != i+1 {
			return nil, d.fail(start, sec+"."+key+": duplicate name "+quoteClipped(name))
		}
	}
	return m, nil
}
