package tokencodec

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// MaxMetaNesting is how deep a container may sit inside meta (meta itself
// at 0) for Decode to accept the token: MaxDepth less the token's map and
// meta's own level.
const MaxMetaNesting = MaxDepth - 2

// Errors of FromJSON.
var (
	ErrNumberRange = errors.New("holds a number out of range")
	ErrNesting     = errors.New("is nested too deeply")
)

// Number converts the text of a JSON number to the type a token's meta
// holds, as Decode returns it: int64 for an integer (no fraction, no
// exponent) that fits, uint64 for a larger one that fits, float64 for the
// rest. "-0" is float64 negative zero, which is what encoding/json writes
// for it. A number beyond float64 is ErrNumberRange.
func Number(s string) (any, error) {
	if s != "-0" && !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, ErrNumberRange
	}
	return f, nil
}

// FromJSON converts, in place, the json.Number values in v (decoded with
// json.Decoder.UseNumber) with Number, and returns v. Containers nested
// deeper than maxNesting (v at 0) are ErrNesting.
func FromJSON(v any, maxNesting int) (any, error) {
	return fromJSON(v, 0, maxNesting)
}

func fromJSON(v any, depth, maxNesting int) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return Number(string(x))
	case []any:
		if depth > maxNesting {
			return nil, ErrNesting
		}
		for i, e := range x {
			c, err := fromJSON(e, depth+1, maxNesting)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	case map[string]any:
		if depth > maxNesting {
			return nil, ErrNesting
		}
		for k, e := range x {
			c, err := fromJSON(e, depth+1, maxNesting)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	}
	return v, nil
}
