package tokencodec

import (
	"math"
	"strconv"
)

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
			return nil, d.fail(start, "meta: duplicate key "+quoteClipped(key))
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
	case majorText:
		return d.textValue(start, val)
	case majorArray:
		return d.arrayValue(start, val, parent+1)
	case majorMap:
		return d.mapValue(start, val, parent+1)
	case majorSimple:
		return d.simpleValue(start, ai, val)
	}
	return nil, d.fail(start, "meta: "+majorNames[major]+" is not allowed")
}

// textValue reads the text of length n whose head began at start, as
// d.text does, without reading the head again.
func (d *decoder) textValue(start int, n uint64) (any, error) {
	s, err := d.str(n)
	if err != nil {
		return nil, err
	}
	if !validText(s) {
		return nil, d.fail(start, "meta value: text is not valid UTF-8")
	}
	return s, nil
}

// arrayValue reads the n items of an array at depth whose head began at
// start.
func (d *decoder) arrayValue(start int, n uint64, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.fail(start, "nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
	}
	if n > uint64(len(d.s)-d.off) {
		return nil, d.fail(start, "array of "+strconv.FormatUint(n, 10)+" items is longer than the data")
	}
	a := make([]any, n)
	for i := range a {
		var err error
		if a[i], err = d.value(depth); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// mapValue reads the n pairs of a map at depth whose head began at start,
// as d.metaMap does, without reading the head again.
func (d *decoder) mapValue(start int, n uint64, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.fail(start, "nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
	}
	if n > uint64(len(d.s)-d.off)/2 {
		return nil, d.fail(start, "meta: map of "+strconv.FormatUint(n, 10)+" pairs is longer than the data")
	}
	return d.metaPairs(int(n), depth, false)
}

// simpleValue reads false, true, null or a finite float: the simple value
// or float with additional information ai and value val, whose head began
// at start.
func (d *decoder) simpleValue(start int, ai byte, val uint64) (any, error) {
	var f float64
	switch ai {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 22:
		return nil, nil
	case 25:
		f = halfToFloat64(uint16(val))
	case 26:
		f = float64(math.Float32frombits(uint32(val)))
	case 27:
		f = math.Float64frombits(val)
	default:
		return nil, d.fail(start, "simple value "+strconv.FormatUint(val, 10)+" is not allowed")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, d.fail(start, "NaN and infinite numbers are not allowed")
	}
	return f, nil
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
