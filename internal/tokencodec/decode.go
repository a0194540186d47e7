package tokencodec

import (
	"math"
	"strconv"
	"unicode/utf8"
)

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

// CBOR major types.
const (
	majorUint = iota
	majorNeg
	majorBytes
	majorText
	majorArray
	majorMap
	majorTag
	majorSimple
)

var majorNames = [8]string{
	"an unsigned integer", "a negative integer", "a byte string", "a text string",
	"an array", "a map", "a tag", "a simple value or float",
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

// decoder reads CBOR from a string, so that every text item it returns is a
// substring of the input and costs no allocation.
type decoder struct {
	s   string
	off int
	// unknown holds the unknown keys seen in the current map, for the
	// duplicate check; allocated only when a token has unknown keys.
	unknown map[string]struct{}
}

func (d *decoder) fail(off int, msg string) error {
	return &SyntaxError{Offset: off, Msg: msg}
}

func (d *decoder) eof() error {
	return d.fail(len(d.s), "unexpected end of data: the token is truncated or declares a length longer than itself")
}

// head reads the head of the next item. It rejects reserved encodings and
// indefinite lengths.
func (d *decoder) head() (major, ai byte, val uint64, err error) {
	if d.off >= len(d.s) {
		return 0, 0, 0, d.eof()
	}
	start := d.off
	b := d.s[d.off]
	d.off++
	major, ai = b>>5, b&0x1f
	switch {
	case ai < 24:
		val = uint64(ai)
	case ai <= 27:
		n := 1 << (ai - 24)
		if len(d.s)-d.off < n {
			return 0, 0, 0, d.eof()
		}
		for i := d.off; i < d.off+n; i++ {
			val = val<<8 | uint64(d.s[i])
		}
		d.off += n
	case ai == 31 && major >= majorBytes && major <= majorMap:
		return 0, 0, 0, d.fail(start, "indefinite-length items are not allowed")
	default:
		return 0, 0, 0, d.fail(start, "malformed CBOR item head")
	}
	return major, ai, val, nil
}

// where names an item for error messages. It is passed by value and
// formatted only when there is an error, so the happy path builds no
// strings.
type where struct{ sec, key, name, role string }

func (w *where) String() string {
	s := w.sec
	if w.key != "" {
		s += "." + w.key
	}
	if w.name != "" {
		s += " " + strconv.Quote(w.name)
	}
	if w.role != "" {
		s += " " + w.role
	}
	return s
}

// expect reads a head and checks its major type. The common case, a value
// below 24 in the initial byte, is inlined.
func (d *decoder) expect(want byte, what *where) (uint64, error) {
	if off := d.off; off < len(d.s) {
		if v := d.s[off] ^ want<<5; v < 24 { // major type want, value < 24
			d.off = off + 1
			return uint64(v), nil
		}
	}
	return d.expectSlow(want, what)
}

func (d *decoder) expectSlow(want byte, what *where) (uint64, error) {
	start := d.off
	major, _, val, err := d.head()
	if err != nil {
		return 0, err
	}
	if major != want {
		return 0, d.fail(start, what.String()+": expected "+majorNames[want]+", found "+majorNames[major])
	}
	return val, nil
}

// str reads the body of a byte or text string of length n.
func (d *decoder) str(n uint64) (string, error) {
	if n > uint64(len(d.s)-d.off) {
		return "", d.eof()
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

// shortStr reads a byte or text string (major type want) whose length is
// in its initial byte, the common case; ok is false, and nothing is read,
// for anything else. It is small enough to be inlined.
func (d *decoder) shortStr(want byte) (s string, ok bool) {
	off := d.off
	if off < len(d.s) {
		if n := int(d.s[off] ^ want<<5); n < 24 && n < len(d.s)-off {
			d.off = off + 1 + n
			return d.s[off+1 : off+1+n], true
		}
	}
	return "", false
}

// byteUint reads an unsigned integer below 256, the common case for
// bitmasks; ok is false, and nothing is read, for anything else.
func (d *decoder) byteUint() (v uint64, ok bool) {
	off := d.off
	if off < len(d.s) {
		b := d.s[off]
		if b < 24 {
			d.off = off + 1
			return uint64(b), true
		}
		if b == 24 && off+1 < len(d.s) {
			d.off = off + 2
			return uint64(d.s[off+1]), true
		}
	}
	return 0, false
}

// text reads a text string and checks that it is valid UTF-8.
func (d *decoder) text(what *where) (string, error) {
	start := d.off
	n, err := d.expect(majorText, what)
	if err != nil {
		return "", err
	}
	s, err := d.str(n)
	if err != nil {
		return "", err
	}
	if !validText(s) {
		return "", d.fail(start, what.String()+": text is not valid UTF-8")
	}
	return s, nil
}

// validText reports whether s is valid UTF-8. It checks ASCII, nearly all
// token text, without a call.
func validText(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s)
		}
	}
	return true
}

// bytes reads a byte string.
func (d *decoder) bytes(what *where) (string, error) {
	n, err := d.expect(majorBytes, what)
	if err != nil {
		return "", err
	}
	return d.str(n)
}

// mapHead reads the head of a map at the given nesting depth and returns
// its number of pairs, which it checks against the remaining input.
func (d *decoder) mapHead(what *where, depth int) (int, error) {
	if n, ok := d.smallMap(); ok && depth <= MaxDepth {
		return n, nil
	}
	start := d.off
	n, err := d.expect(majorMap, what)
	if err != nil {
		return 0, err
	}
	if depth > MaxDepth {
		return 0, d.fail(start, "nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
	}
	if n > uint64(len(d.s)-d.off)/2 {
		return 0, d.fail(start, what.String()+": map of "+strconv.FormatUint(n, 10)+" pairs is longer than the data")
	}
	return int(n), nil
}

// smallMap reads, inline, the head of a map of fewer than 24 pairs that
// fits in the remaining data, the common case; ok is false, and nothing is
// read, for anything else. The caller checks the depth.
func (d *decoder) smallMap() (n int, ok bool) {
	off := d.off
	if off < len(d.s) {
		if b := d.s[off]; b>>5 == majorMap && b&0x1f < 24 {
			if n = int(b & 0x1f); 2*n <= len(d.s)-off-1 {
				d.off = off + 1
				return n, true
			}
		}
	}
	return 0, false
}

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
	sigBuf := t.Sig[:0]
	*t = TokenOf[P]{}
	if len(s) > MaxCBORLen {
		return &SyntaxError{Offset: -1, Msg: "token is longer than " + strconv.Itoa(MaxCBORLen) + " bytes"}
	}
	d := decoder{s: s}
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
		var bit int
		switch key {
		case "v":
			bit = keyV
		case "t":
			bit = keyT
		case "ttl":
			bit = keyTTL
		case "res":
			bit = keyRes
		case "pat":
			bit = keyPat
		case "meta":
			bit = keyMeta
		case "uuid":
			bit = keyUUID
		case "sig":
			bit = keySig
		}
		if bit == 0 {
			if err := d.skipUnknown(start, key, 1); err != nil {
				return err
			}
			continue
		}
		if seen&bit != 0 {
			return d.fail(start, "duplicate key "+strconv.Quote(key))
		}
		seen |= bit
		switch bit {
		case keyV:
			v, err := d.expect(majorUint, &where{sec: "v"})
			if err != nil {
				return err
			}
			if v != Version {
				return &VersionError{Version: v}
			}
			t.Version = v
		case keyT:
			if t.Timestamp, err = d.expect(majorUint, &where{sec: "t"}); err != nil {
				return err
			}
		case keyTTL:
			if t.TTL, err = d.expect(majorUint, &where{sec: "ttl"}); err != nil {
				return err
			}
		case keyRes:
			if err := decodeGrants(&d, &t.Res, "res"); err != nil {
				return err
			}
		case keyPat:
			if err := decodeGrants(&d, &t.Pat, "pat"); err != nil {
				return err
			}
		case keyMeta:
			if t.Meta, err = d.metaMap(2, true); err != nil {
				return err
			}
		case keyUUID:
			if t.UUID, err = d.text(&where{sec: "uuid"}); err != nil {
				return err
			}
			t.HasUUID = true
		case keySig:
			sig, err := d.bytes(&where{sec: "sig"})
			if err != nil {
				return err
			}
			if t.Sig = append(sigBuf, sig...); t.Sig == nil {
				t.Sig = []byte{} // present and empty, as the reference decodes it
			}
		}
	}
	if d.off != len(d.s) {
		return d.fail(d.off, "extra data after the token map")
	}
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
		return d.fail(start, "duplicate key "+strconv.Quote(key))
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
			return d.fail(start, sec+": duplicate type key "+strconv.Quote(key))
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
	m := make(map[string]P, n)
	for i := range n {
		start := d.off
		name, ok := d.shortStr(majorText)
		if !ok || !validText(name) {
			d.off = start
			if name, err = d.text(&where{sec: sec, key: key, role: "name"}); err != nil {
				return nil, err
			}
		}
		vstart := d.off
		v, ok := d.byteUint()
		if !ok {
			if v, err = d.expect(majorUint, &where{sec: sec, key: key, name: name}); err != nil {
				return nil, err
			}
		}
		if v > MaxBits {
			return nil, d.fail(vstart, (&where{sec: sec, key: key, name: name}).String()+": permission bitmask "+strconv.FormatUint(v, 10)+" has bits outside the eight defined permissions")
		}
		m[name] = P(v)
		if len(m) != i+1 {
			return nil, d.fail(start, sec+"."+key+": duplicate name "+strconv.Quote(name))
		}
	}
	return m, nil
}

// metaMap reads a map with text keys and JSON-friendly values at the given
// depth. With nilIfEmpty, an empty map is returned as nil.
func (d *decoder) metaMap(depth int, nilIfEmpty bool) (map[string]any, error) {
	n, err := d.mapHead(&where{sec: "meta"}, depth)
	if err != nil {
		return nil, err
	}
	return d.metaPairs(n, depth, nilIfEmpty)
}

func (d *decoder) metaPairs(n, depth int, nilIfEmpty bool) (map[string]any, error) {
	if n == 0 && nilIfEmpty {
		return nil, nil
	}
	m := make(map[string]any, n)
	for i := range n {
		start := d.off
		key, ok := d.shortStr(majorText)
		if !ok || !validText(key) {
			d.off = start
			var err error
			if key, err = d.text(&where{sec: "meta key"}); err != nil {
				return nil, err
			}
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[key] = v
		if len(m) != i+1 {
			return nil, d.fail(start, "meta: duplicate key "+strconv.Quote(key))
		}
	}
	return m, nil
}

// value reads a JSON-friendly value inside a container at depth parent:
// an integer (int64, or uint64 above math.MaxInt64), a finite float
// (float64), a string, a bool, null (nil), an array ([]any) or a map with
// text keys (map[string]any). Byte strings, tags, undefined and other
// simple values are rejected.
func (d *decoder) value(parent int) (any, error) {
	start := d.off
	var major, ai byte
	var val uint64
	var err error
	if start < len(d.s) && d.s[start]&0x1f < 24 { // the common head, inline
		major, ai = d.s[start]>>5, d.s[start]&0x1f
		val = uint64(ai)
		d.off++
	} else if major, ai, val, err = d.head(); err != nil {
		return nil, err
	}
	switch major {
	case majorUint:
		if val <= math.MaxInt64 {
			return int64(val), nil
		}
		return val, nil
	case majorNeg:
		if val > math.MaxInt64 {
			return nil, d.fail(start, "integer below -2^63")
		}
		return -1 ^ int64(val), nil
	case majorText: // as d.text, without reading the head again
		s, err := d.str(val)
		if err != nil {
			return nil, err
		}
		if !validText(s) {
			return nil, d.fail(start, "meta value: text is not valid UTF-8")
		}
		return s, nil
	case majorArray:
		depth := parent + 1
		if depth > MaxDepth {
			return nil, d.fail(start, "nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
		}
		if val > uint64(len(d.s)-d.off) {
			return nil, d.fail(start, "array of "+strconv.FormatUint(val, 10)+" items is longer than the data")
		}
		a := make([]any, val)
		for i := range a {
			if a[i], err = d.value(depth); err != nil {
				return nil, err
			}
		}
		return a, nil
	case majorMap: // as d.metaMap, without reading the head again
		depth := parent + 1
		if depth > MaxDepth {
			return nil, d.fail(start, "nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
		}
		if val > uint64(len(d.s)-d.off)/2 {
			return nil, d.fail(start, "meta: map of "+strconv.FormatUint(val, 10)+" pairs is longer than the data")
		}
		return d.metaPairs(int(val), depth, false)
	case majorSimple:
		switch ai {
		case 20:
			return false, nil
		case 21:
			return true, nil
		case 22:
			return nil, nil
		case 25, 26, 27:
			var f float64
			switch ai {
			case 25:
				f = halfToFloat64(uint16(val))
			case 26:
				f = float64(math.Float32frombits(uint32(val)))
			default:
				f = math.Float64frombits(val)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, d.fail(start, "NaN and infinite numbers are not allowed")
			}
			return f, nil
		}
		return nil, d.fail(start, "simple value "+strconv.FormatUint(val, 10)+" is not allowed")
	}
	return nil, d.fail(start, "meta: "+majorNames[major]+" is not allowed")
}

// halfToFloat64 converts an IEEE 754 half-precision number.
func halfToFloat64(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	var f float64
	switch exp {
	case 0:
		f = math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			f = math.Inf(1)
		} else {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(frac+1024, exp-25)
	}
	if h&0x8000 != 0 {
		f = -f
	}
	return f
}
