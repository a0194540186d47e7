package tokencodec

import (
	"strconv"
	"unicode/utf8"
)

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

// decoder reads CBOR from a string, so that every text item it returns is a
// substring of the input and costs no allocation.
type decoder struct {
	s   string
	off int
	// unknown holds the unknown keys seen in the current map, for the
	// duplicate check; allocated only when a token has unknown keys.
	unknown map[string]struct{}
	// check: validate only (see Check); build no grant maps, copy no
	// signature.
	check bool
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
		s += " " + quoteClipped(w.name)
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
