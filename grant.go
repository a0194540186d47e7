package pam

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// GrantToken asks the service for a token as r describes and returns it.
// It validates r first (see [TokenRequest.Validate]) and checks that the
// client has the secret and publish keys; when either check fails nothing is
// sent. An error answer from the service is an *[APIError]. The token in
// the answer is checked before it is returned: one that would not parse
// with [ParseToken] is an error wrapping [ErrMalformedToken] that names the
// origin.
func (c *Client) GrantToken(ctx context.Context, r *TokenRequest) (string, error) {
	token, _, err := c.grant(ctx, r, false)
	return token, err
}

// GrantTokenParsed is [Client.GrantToken] returning the token parsed as
// well, as [ParseToken] would return it, so that a token server can tell
// its client when the token expires (parsed.ExpiresAt()) or what it grants
// without parsing it a second time: the token is decoded once, where
// GrantToken checks it. On any error both results are zero.
func (c *Client) GrantTokenParsed(ctx context.Context, r *TokenRequest) (token string, parsed *Token, err error) {
	return c.grant(ctx, r, true)
}

// grant is GrantToken, and with parse GrantTokenParsed.
func (c *Client) grant(ctx context.Context, r *TokenRequest, parse bool) (string, *Token, error) {
	const op = "grant token"
	if r == nil {
		return "", nil, opErrs(op, append([]error{errNilRequest()}, c.keyProblems()...))
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	if problems := append(r.validate(es, ms), c.keyProblems()...); len(problems) > 0 {
		return "", nil, opErrs(op, problems)
	}
	return c.grantAnswer(ctx, r.appendBody(make([]byte, 0, r.bodySizeHint(es, ms)), es, ms), parse)
}

// grantBody sends a grant with a validated body and returns the token the
// service answers with. [GrantCache] sends its shared grants through it.
func (c *Client) grantBody(ctx context.Context, body []byte) (string, error) {
	token, _, err := c.grantAnswer(ctx, body, false)
	return token, err
}

// grantAnswer sends a grant with a validated body and returns the token the
// service answers with, checked or, with parse, parsed: decoded once either
// way.
func (c *Client) grantAnswer(ctx context.Context, body []byte, parse bool) (string, *Token, error) {
	const op = "grant token"
	data, err := c.do(ctx, op, "POST", "/v3/pam/"+escapePathSegment(c.keys.Subscribe)+"/grant", body)
	if err != nil {
		return "", nil, opErr(op, err)
	}
	token, err := readGrantAnswer(data)
	if err != nil {
		return "", nil, opErr(op, err)
	}
	var tok *Token
	if parse {
		tok, err = parseToken(token)
	} else {
		err = checkToken(token)
	}
	if err != nil {
		return "", nil, opErr(op, fmt.Errorf("the service at %s answered with a token that does not parse: %w; check the origin points at PubNub", c.origin(), err))
	}
	return token, tok, nil
}

// readGrantAnswer returns the token in a successful grant's answer:
// scanGrantAnswer reads the service's usual answer, and encoding/json
// decides anything else.
func readGrantAnswer(data []byte) (string, error) {
	if token, ok := scanGrantAnswer(data); ok {
		return token, nil
	}
	var answer grantResponse
	if err := json.Unmarshal(data, &answer); err != nil {
		return "", fmt.Errorf("the service's answer is not the expected JSON (%w); check the origin points at PubNub", err)
	}
	if answer.Data.Token == "" {
		return "", errors.New("the service answered without a token; check the origin points at PubNub")
	}
	return answer.Data.Token, nil
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
		if tok != nil { // a repeated "data"
			return "", false
		}
		if tok, ok = s.dataToken(); !ok {
			return "", false
		}
	}
	s.space()
	if s.i != len(s.b) || tok == nil {
		return "", false
	}
	return string(tok), true
}

// dataToken reads the "data" object and returns its "token": a non-empty
// ASCII string without escapes, given once.
func (s *jsonScanner) dataToken() ([]byte, bool) {
	if !s.consume('{') {
		return nil, false
	}
	var tok []byte
	for first := true; ; first = false {
		if s.consume('}') {
			return tok, tok != nil
		}
		if !first && !s.consume(',') {
			return nil, false
		}
		key, ok := s.key()
		if !ok {
			return nil, false
		}
		switch scanKeyIs(key, "token") {
		case keyMismatch:
			if !s.skipValue(2) {
				return nil, false
			}
			continue
		case keyFolded:
			return nil, false
		}
		if tok != nil { // a repeated "token"
			return nil, false
		}
		if tok, ok = s.str(); !ok || len(tok) == 0 || !isASCII(tok) {
			return nil, false
		}
	}
}

func isASCII(b []byte) bool {
	for ; len(b) >= 8; b = b[8:] {
		if binary.LittleEndian.Uint64(b)&highBits != 0 {
			return false
		}
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
	// Eight bytes at a time past what cannot end the string or need a
	// closer look, as a token is; the loop below reads the rest.
	for s.i+8 <= len(s.b) && plainWord(binary.LittleEndian.Uint64(s.b[s.i:])) {
		s.i += 8
	}
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

// Bytes of a word, for plainWord and isASCII.
const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// plainWord reports whether none of the eight bytes of w is a quote, a
// backslash, a control character (below 0x20) or non-ASCII: whether str may
// pass over them without looking at each.
func plainWord(w uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - lowBits) &^ v & highBits }
	special := w&highBits | // non-ASCII
		(w-0x20*lowBits)&^w&highBits | // a byte below 0x20
		hasZero(w^'"'*lowBits) |
		hasZero(w^'\\'*lowBits)
	return special == 0
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
		return depth < maxScanDepth && s.skipContainer(c, depth)
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return s.literal()
}

// skipContainer skips the object or array that open begins.
func (s *jsonScanner) skipContainer(open byte, depth int) bool {
	s.i++
	end := byte('}')
	if open == '[' {
		end = ']'
	}
	for first := true; ; first = false {
		if s.consume(end) {
			return true
		}
		if !first && !s.consume(',') {
			return false
		}
		if open == '{' {
			if _, ok := s.key(); !ok {
				return false
			}
		}
		if !s.skipValue(depth + 1) {
			return false
		}
	}
}

// literal skips true, false or null.
func (s *jsonScanner) literal() bool {
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
	if s.at('-') {
		s.i++
	}
	if s.at('0') {
		s.i++
	} else if s.digits() == 0 {
		return false
	}
	if s.at('.') {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.at('e') || s.at('E') {
		s.i++
		if s.at('+') || s.at('-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

// at reports whether the next byte is c.
func (s *jsonScanner) at(c byte) bool { return s.i < len(s.b) && s.b[s.i] == c }

// digits skips decimal digits and returns how many there were.
func (s *jsonScanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}
