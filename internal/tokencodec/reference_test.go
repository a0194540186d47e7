package tokencodec

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// refMode is the one strict fxamacker/cbor decode mode, built once from
// constant options: duplicate keys, indefinite lengths, tags, undefined,
// NaN and infinities rejected; nesting, array and map sizes bounded; maps
// decoded into map[string]any.
var refMode = mustDecMode()

func mustDecMode() cbor.DecMode {
	sv, err := cbor.NewSimpleValueRegistryFromDefaults(cbor.WithRejectedSimpleValue(23)) // undefined
	if err != nil {
		panic(err)
	}
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  MaxDepth,
		MaxArrayElements: MaxCBORLen,
		MaxMapPairs:      MaxCBORLen / 2,
		IntDec:           cbor.IntDecConvertNone,
		DefaultMapType:   reflect.TypeFor[map[string]any](),
		UTF8:             cbor.UTF8RejectInvalid,
		SimpleValues:     sv,
		NaN:              cbor.NaNDecodeForbidden,
		Inf:              cbor.InfDecodeForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}

// decodeReference decodes the CBOR of a token through the strict
// fxamacker/cbor mode. It accepts exactly what [Decode] accepts and returns
// the same values; it is slower and exists to check [Decode].
func decodeReference(b []byte) (*Token, error) {
	if len(b) > MaxCBORLen {
		return nil, errors.New("token too long")
	}
	top, err := refMap(b, "token")
	if err != nil {
		return nil, err
	}
	t := new(Token)
	var seen int
	for k, raw := range top {
		switch string(k) {
		case "v":
			seen |= keyV
			if t.Version, err = refUint(raw, "v"); err != nil {
				return nil, err
			}
			if t.Version != Version {
				return nil, &VersionError{Version: t.Version}
			}
		case "t":
			seen |= keyT
			if t.Timestamp, err = refUint(raw, "t"); err != nil {
				return nil, err
			}
		case "ttl":
			seen |= keyTTL
			if t.TTL, err = refUint(raw, "ttl"); err != nil {
				return nil, err
			}
		case "res":
			seen |= keyRes
			if err := refGrants(raw, &t.Res); err != nil {
				return nil, err
			}
		case "pat":
			seen |= keyPat
			if err := refGrants(raw, &t.Pat); err != nil {
				return nil, err
			}
		case "meta":
			v, err := refValue(raw)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("meta: %T, not a map", v)
			}
			if len(m) > 0 {
				t.Meta = m
			}
		case "uuid":
			var v any
			if err := refMode.Unmarshal(raw, &v); err != nil {
				return nil, err
			}
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("uuid: %T, not a text string", v)
			}
			t.UUID, t.HasUUID = s, true
		case "sig":
			seen |= keySig
			var v any
			if err := refMode.Unmarshal(raw, &v); err != nil {
				return nil, err
			}
			s, ok := v.([]byte)
			if !ok {
				return nil, fmt.Errorf("sig: %T, not a byte string", v)
			}
			t.Sig = s
		default:
			if _, err := refValue(raw); err != nil {
				return nil, err
			}
		}
	}
	if seen != keysRequired {
		return nil, errors.New("missing key")
	}
	return t, nil
}

// refMap decodes a map with byte-string keys, leaving its values raw.
func refMap(b []byte, what string) (map[cbor.ByteString]cbor.RawMessage, error) {
	// Unmarshal leaves a map unset for null; insist on a map.
	if len(b) == 0 || b[0]>>5 != majorMap {
		return nil, errors.New(what + ": not a map")
	}
	var m map[cbor.ByteString]cbor.RawMessage
	if err := refMode.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func refUint(raw []byte, what string) (uint64, error) {
	var v any
	if err := refMode.Unmarshal(raw, &v); err != nil {
		return 0, err
	}
	u, ok := v.(uint64)
	if !ok {
		return 0, fmt.Errorf("%s: %T, not an unsigned integer", what, v)
	}
	return u, nil
}

func refGrants(raw []byte, g *Grants) error {
	m, err := refMap(raw, "grants")
	if err != nil {
		return err
	}
	for k, raw := range m {
		idx := -1
		for j, tk := range typeKeys {
			if tk == string(k) {
				idx = j
			}
		}
		if idx < 0 {
			if _, err := refValue(raw); err != nil {
				return err
			}
			continue
		}
		if len(raw) == 0 || raw[0]>>5 != majorMap {
			return errors.New("names: not a map")
		}
		var names map[string]any
		if err := refMode.Unmarshal(raw, &names); err != nil {
			return err
		}
		if len(names) == 0 {
			continue
		}
		out := make(map[string]uint32, len(names))
		for name, v := range names {
			u, ok := v.(uint64)
			if !ok || u > MaxBits {
				return fmt.Errorf("bitmask of %q: %v", name, v)
			}
			out[name] = uint32(u)
		}
		*g.typeMap(idx) = out
	}
	return nil
}

// refValue decodes a JSON-friendly value and normalizes it to the types
// Decode returns.
func refValue(raw []byte) (any, error) {
	var v any
	if err := refMode.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return normalize(v)
}

func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return v, nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
		return x, nil
	case []any:
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
		return x, nil
	case map[string]any:
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
		return x, nil
	}
	return nil, fmt.Errorf("%T is not a JSON-friendly value", v)
}
