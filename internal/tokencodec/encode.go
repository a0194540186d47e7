package tokencodec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Encode returns the CBOR of t in the layout the service writes (wire.md
// §5.2): a map with byte-string keys v, t, ttl, res, pat, meta, then uuid
// only when t.HasUUID, then sig only when withSig. res and pat hold the type
// keys chan, grp, spc, usr, uuid as byte strings, each mapping text-string
// names to unsigned bitmasks (an absent map is written empty). Integers use their shortest form;
// names and meta keys are written in sorted order, so the output is
// deterministic.
//
// The bytes to sign are Encode(t, false); the token is Encode(t, true) with
// the signature in t.Sig.
//
// Meta values may be nil, bool, string, any Go integer, float32/float64
// (finite; integral values are written as integers, as the service does
// with JSON numbers), json.Number, []any and map[string]any, nested at most
// to the depth [Decode] accepts. Anything else is an error.
func Encode[P Perm](t *TokenOf[P], withSig bool) ([]byte, error) {
	return AppendEncode(make([]byte, 0, 256), t, withSig)
}

// AppendEncode is [Encode] appending to dst.
func AppendEncode[P Perm](dst []byte, t *TokenOf[P], withSig bool) ([]byte, error) {
	n := uint64(6)
	if t.HasUUID {
		n++
	}
	if withSig {
		n++
	}
	dst = appendHead(dst, majorMap, n)
	dst = appendBytesKey(dst, "v")
	dst = appendHead(dst, majorUint, t.Version)
	dst = appendBytesKey(dst, "t")
	dst = appendHead(dst, majorUint, t.Timestamp)
	dst = appendBytesKey(dst, "ttl")
	dst = appendHead(dst, majorUint, t.TTL)
	dst = appendBytesKey(dst, "res")
	dst = appendGrants(dst, &t.Res)
	dst = appendBytesKey(dst, "pat")
	dst = appendGrants(dst, &t.Pat)
	dst = appendBytesKey(dst, "meta")
	var err error
	if dst, err = appendMetaMap(dst, t.Meta, 2); err != nil {
		return nil, err
	}
	if t.HasUUID {
		dst = appendBytesKey(dst, "uuid")
		dst = appendText(dst, t.UUID)
	}
	if withSig {
		dst = appendBytesKey(dst, "sig")
		dst = appendHead(dst, majorBytes, uint64(len(t.Sig)))
		dst = append(dst, t.Sig...)
	}
	return dst, nil
}

func appendGrants[P Perm](dst []byte, g *GrantsOf[P]) []byte {
	keys := [numTypes]int{typeChan, typeGrp, typeSpc, typeUsr, typeUUID}
	dst = appendHead(dst, majorMap, uint64(len(keys)))
	for _, idx := range keys {
		m := *g.typeMap(idx)
		dst = appendBytesKey(dst, typeKeys[idx])
		dst = appendHead(dst, majorMap, uint64(len(m)))
		for _, name := range sortedNames(m) {
			dst = appendText(dst, name)
			dst = appendHead(dst, majorUint, uint64(m[name]))
		}
	}
	return dst
}

func sortedNames[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func appendHead(dst []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(dst, m|byte(v))
	case v <= math.MaxUint8:
		return append(dst, m|24, byte(v))
	case v <= math.MaxUint16:
		return append(dst, m|25, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(dst, m|26, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, m|27, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendBytesKey(dst []byte, k string) []byte {
	dst = appendHead(dst, majorBytes, uint64(len(k)))
	return append(dst, k...)
}

func appendText(dst []byte, s string) []byte {
	dst = appendHead(dst, majorText, uint64(len(s)))
	return append(dst, s...)
}

func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		return appendHead(dst, majorNeg, uint64(-1-v))
	}
	return appendHead(dst, majorUint, uint64(v))
}

func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, errors.New("meta: NaN and infinite numbers cannot be encoded")
	}
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return appendInt(dst, int64(f)), nil
	}
	if f32 := float32(f); float64(f32) == f {
		b := math.Float32bits(f32)
		return append(dst, majorSimple<<5|26, byte(b>>24), byte(b>>16), byte(b>>8), byte(b)), nil
	}
	b := math.Float64bits(f)
	return append(dst, majorSimple<<5|27, byte(b>>56), byte(b>>48), byte(b>>40), byte(b>>32),
		byte(b>>24), byte(b>>16), byte(b>>8), byte(b)), nil
}

func appendMetaMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return dst, errors.New("meta: nested deeper than the decoder accepts")
	}
	dst = appendHead(dst, majorMap, uint64(len(m)))
	var err error
	for _, k := range sortedNames(m) {
		dst = appendText(dst, k)
		if dst, err = appendValue(dst, m[k], depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendValue writes a meta value found in a container at depth parent.
func appendValue(dst []byte, v any, parent int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, majorSimple<<5|22), nil
	case bool:
		if x {
			return append(dst, majorSimple<<5|21), nil
		}
		return append(dst, majorSimple<<5|20), nil
	case string:
		return appendText(dst, x), nil
	case float32:
		return appendFloat(dst, float64(x))
	case float64:
		return appendFloat(dst, x)
	case json.Number:
		n, err := Number(string(x))
		if err != nil {
			return dst, fmt.Errorf("meta: number %q: %w", string(x), err)
		}
		return appendValue(dst, n, parent)
	case []any:
		return appendArray(dst, x, parent+1)
	case map[string]any:
		return appendMetaMap(dst, x, parent+1)
	}
	if out, ok := appendInteger(dst, v); ok {
		return out, nil
	}
	return dst, fmt.Errorf("meta: cannot encode a value of type %T", v)
}

// appendInteger writes v if it is a Go integer.
func appendInteger(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case int:
		return appendInt(dst, int64(x)), true
	case int8:
		return appendInt(dst, int64(x)), true
	case int16:
		return appendInt(dst, int64(x)), true
	case int32:
		return appendInt(dst, int64(x)), true
	case int64:
		return appendInt(dst, x), true
	case uint:
		return appendHead(dst, majorUint, uint64(x)), true
	case uint8:
		return appendHead(dst, majorUint, uint64(x)), true
	case uint16:
		return appendHead(dst, majorUint, uint64(x)), true
	case uint32:
		return appendHead(dst, majorUint, uint64(x)), true
	case uint64:
		return appendHead(dst, majorUint, x), true
	}
	return dst, false
}

// appendArray writes an array at depth.
func appendArray(dst []byte, a []any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return dst, errors.New("meta: nested deeper than the decoder accepts")
	}
	dst = appendHead(dst, majorArray, uint64(len(a)))
	var err error
	for _, e := range a {
		if dst, err = appendValue(dst, e, depth); err != nil {
			return dst, err
		}
	}
	return dst, nil
}
