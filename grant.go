package pam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// GrantToken asks the service for a token as r describes and returns it.
// It validates r first (see [TokenRequest.Validate]) and checks that the
// client has the secret and publish keys; when either check fails nothing is
// sent. An error answer from the service is an *[APIError].
func (c *Client) GrantToken(ctx context.Context, r *TokenRequest) (string, error) {
	const op = "grant token"
	if r == nil {
		return "", opErrs(op, append([]error{errNilRequest()}, c.keyProblems()...))
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	if problems := append(r.validate(es, ms), c.keyProblems()...); len(problems) > 0 {
		return "", opErrs(op, problems)
	}
	body := r.appendBody(make([]byte, 0, r.bodySizeHint(es, ms)), es, ms)
	data, err := c.do(ctx, op, "POST", "/v3/pam/"+escapePathSegment(c.keys.Subscribe)+"/grant", body)
	if err != nil {
		return "", opErr(op, err)
	}
	token, err := readGrantAnswer(data)
	if err != nil {
		return "", opErr(op, err)
	}
	return token, nil
}

// readGrantAnswer returns the token in a successful grant's answer.
func readGrantAnswer(data []byte) (string, error) {
	token, ok := scanGrantAnswer(data)
	if !ok {
		// Anything outside the scanner's subset: encoding/json decides.
		var resp grantResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return "", fmt.Errorf("the service's answer is not the expected JSON (%v); check the origin points at PubNub", err)
		}
		token = resp.Data.Token
	}
	if token == "" {
		return "", errors.New("the service answered without a token; check the origin points at PubNub")
	}
	return token, nil
}

// grantResponse is the body of a successful grant.
type grantResponse struct {
	Data struct {
		Token string `json:"token"`
	} `json:"data"`
}

// scanGrantAnswer reads data.token from a grant answer such as
// {"data":{"message":"Success","token":"…"},"service":"Access Manager","status":200}
// in one pass, without reflection, for what json.Unmarshal into
// grantResponse would spend most of a grant's time on. It validates the
// whole document, but understands only a subset of JSON: ok is false, and
// the caller must use encoding/json, for anything outside it. Outside are
// string escapes, non-ASCII keys, keys that match "data" or "token" only
// case-insensitively (encoding/json would accept them), a repeated "data"
// or "token", a "data" that is not an object, a token that is empty, not a
// string or not ASCII, nesting deeper than maxScanDepth, and invalid JSON.
// Whenever ok is true, json.Unmarshal returns the same token without error
// (FuzzScanGrantAnswer checks this).
func scanGrantAnswer(b []byte) (token string, ok bool) {
	s := jsonScanner{b: b}
	if !s.consume('{') {
		return "", false
	}
	var tok []byte
	seenData := false
	for first := true; ; first = false {
		if s.consume('}') {
			break
		}
		if !first && !s.consume(',') {
			return "", false
		}
		key, ok := s.key()
		if !ok {
			return "", false
		}
		switch scanKeyIs(key, "data") {
		case keyMismatch:
			if !s.skipValue(1) {
				return "", false
			}
			continue
		case keyFolded:
			return "", false
		}
		if seenData || !s.consume('{') {
			return "", false
		}
		seenData = true
		for first := true; ; first = false {
			if s.consume('}') {
				break
			}
			if !first && !s.consume(',') {
				return "", false
			}
			key, ok := s.key()
			if !ok {
				return "", false
			}
			switch scanKeyIs(key, "token") {
			case keyMismatch:
				if !s.skipValue(2) {
					return "", false
				}
				continue
			case keyFolded:
				return "", false
			}
			if tok != nil {
				return "", false
			}
			if tok, ok = s.str(); !ok || len(tok) == 0 {
				return "", false
			}
			for _, c := range tok {
				if c >= utf8.RuneSelf {
					return "", false
				}
			}
		}
	}
	s.space()
	if s.i != len(s.b) || tok == nil {
		return "", false
	}
	return string(tok), true
}

// maxScanDepth bounds the nesting scanGrantAnswer skips over.
const maxScanDepth = 16

// Results of scanKeyIs.
const (
	keyMismatch = iota // not the key
	keyExact           // the key
	keyFolded          // the key only case-insensitively, or not ASCII
)

// scanKeyIs compares an object key with the field name want as
// encoding/json matches struct fields: exactly, or else case-insensitively
// (with Unicode folds such as the Kelvin sign for k, hence keyFolded for
// any non-ASCII key).
func scanKeyIs(key []byte, want string) int {
	if string(key) == want {
		return keyExact
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return keyFolded
		}
	}
	if len(key) == len(want) && strings.EqualFold(string(key), want) {
		return keyFolded
	}
	return keyMismatch
}

// jsonScanner is the reader behind scanGrantAnswer. Its methods skip
// leading white space and return false for anything outside the subset.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume reads the byte c.
func (s *jsonScanner) consume(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads an object key and the colon after it.
func (s *jsonScanner) key() ([]byte, bool) {
	k, ok := s.str()
	return k, ok && s.consume(':')
}

// str reads a string without escapes and returns its contents.
func (s *jsonScanner) str() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// skipValue skips one value inside a container at the given depth.
func (s *jsonScanner) skipValue(depth int) bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{' || c == '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		for first := true; ; first = false {
			if s.consume(end) {
				return true
			}
			if !first && !s.consume(',') {
				return false
			}
			if c == '{' {
				if _, ok := s.key(); !ok {
					return false
				}
			}
			if !s.skipValue(depth + 1) {
				return false
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return true
		}
	}
	return false
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
