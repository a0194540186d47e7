package tokencodec

import "strconv"

// Check reports whether s holds the CBOR of a token exactly as
// [DecodeInto] would decode it without error, and returns its issue time
// and TTL, but builds nothing it does not need: no grant maps, no copy of
// the signature (non-empty meta is still decoded). It is for a caller that
// must know a token is well-formed without reading it.
func Check(s string) (timestamp, ttl uint64, err error) {
	var t Token
	if err := decodeInto(&decoder{s: s, check: true}, &t); err != nil {
		return 0, 0, err
	}
	return t.Timestamp, t.TTL, nil
}

// maxPairwise is the size of grants map up to which checkNames finds
// duplicate names by comparing each with those before it, not with a map.
const maxPairwise = 32

// checkNames validates a map of n names to permission bitmasks as
// decodeNames would decode it, with the same errors, allocating only for a
// map of more than maxPairwise names.
func (d *decoder) checkNames(n int, sec, key string) error {
	var small [maxPairwise]string
	var seen map[string]struct{}
	if n > maxPairwise {
		seen = make(map[string]struct{}, n)
	}
	for i := range n {
		start := d.off
		name, _, err := d.nameEntry(sec, key)
		if err != nil {
			return err
		}
		dup := false
		if seen != nil {
			_, dup = seen[name]
			seen[name] = struct{}{}
		} else {
			for _, prev := range small[:i] {
				dup = dup || prev == name
			}
			small[i] = name
		}
		if dup {
			return d.fail(start, sec+"."+key+": duplicate name "+quoteClipped(name))
		}
	}
	return nil
}

// nameEntry reads one name and its permission bitmask, which it checks is
// within MaxBits, from a grants map.
func (d *decoder) nameEntry(sec, key string) (name string, v uint64, err error) {
	start := d.off
	name, ok := d.shortStr(majorText)
	if !ok || !validText(name) {
		d.off = start
		if name, err = d.text(&where{sec: sec, key: key, role: "name"}); err != nil {
			return "", 0, err
		}
	}
	vstart := d.off
	if v, ok = d.byteUint(); !ok {
		if v, err = d.expect(majorUint, &where{sec: sec, key: key, name: name}); err != nil {
			return "", 0, err
		}
	}
	if v > MaxBits {
		return "", 0, d.fail(vstart, (&where{sec: sec, key: key, name: name}).String()+": permission bitmask "+strconv.FormatUint(v, 10)+" has bits outside the eight defined permissions")
	}
	return name, v, nil
}

// maxQuoted bounds the bytes of a name or key quoted in an error message.
const maxQuoted = 64

// quoteClipped quotes s for an error message, cut to maxQuoted bytes (at a
// rune boundary, with an ellipsis) so that no input makes a long message.
func quoteClipped(s string) string {
	if len(s) > maxQuoted {
		i := maxQuoted
		for i > maxQuoted-4 && s[i]&0xC0 == 0x80 {
			i--
		}
		s = s[:i] + "…"
	}
	return strconv.Quote(s)
}
