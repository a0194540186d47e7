// Package sign implements Access Manager's request signature, version 2:
// the canonical query encoding and the HMAC over method, publish key, path,
// query and body (wire.md §2). Every function is pure.
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"sort"
	"sync"
)

// Param is one query parameter, with its value in decoded form.
type Param struct {
	Key, Value string
}

const upperhex = "0123456789ABCDEF"

// unreserved reports whether c stays literal in an encoded value: only
// A-Z a-z 0-9 - _ . do.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

// AppendEncode appends s to dst with every byte outside A-Z a-z 0-9 - _ .
// written as %XX (uppercase hex): the encoding the signature uses for query
// values and the one this module uses for path segments.
func AppendEncode(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

// Encode returns s encoded as [AppendEncode] does.
func Encode(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return string(AppendEncode(make([]byte, 0, len(s)+16), s))
		}
	}
	return s
}

// SortParams sorts params by key, byte-wise, as the canonical query needs.
func SortParams(params []Param) {
	sort.Slice(params, func(i, j int) bool { return params[i].Key < params[j].Key })
}

// AppendQuery appends params, in the order given, as key=value pairs joined
// by '&', keys and values encoded with [AppendEncode]. Given sorted params
// it produces the canonical query, which is also a valid query string to send.
func AppendQuery(dst []byte, params []Param) []byte {
	for i, p := range params {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = AppendEncode(dst, p.Key)
		dst = append(dst, '=')
		dst = AppendEncode(dst, p.Value)
	}
	return dst
}

// V2 returns the v2 signature "v2." + base64url(HMAC-SHA256(secret,
// method\npublishKey\npath\ncanonicalQuery\nbody)) without padding. path is
// the path exactly as sent; canonicalQuery is the sorted, encoded query
// without the signature parameter; body is the exact bytes sent (empty for
// GET and DELETE).
func V2(secret, method, publishKey, path, canonicalQuery string, body []byte) string {
	st := &macState{h: hmac.New(sha256.New, []byte(secret))}
	var out [SignatureLen]byte
	return string(appendV2(st, out[:0], method, publishKey, path, canonicalQuery, body))
}

// SignatureLen is the length of a v2 signature: "v2." and 43 characters of
// unpadded base64url.
const SignatureLen = 3 + 43

// Signer computes v2 signatures with one secret key, as [V2] does, for a
// client that signs many requests. It keeps keyed HMAC states in a
// sync.Pool for reuse, so that a signature costs neither an allocation nor
// the key schedule. The pool belongs to the Signer (one per client and
// secret): nothing is shared between keys. A Signer is safe for concurrent
// use.
type Signer struct {
	pool sync.Pool // of *macState
}

// macState is a keyed HMAC with a scratch buffer for the string to sign.
type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewSigner returns a Signer for the secret key.
func NewSigner(secret string) *Signer {
	key := []byte(secret)
	s := new(Signer)
	s.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	return s
}

// AppendV2 appends the v2 signature of the request to dst; see [V2] for
// the arguments. canonicalQuery may share memory with dst.
func (s *Signer) AppendV2(dst []byte, method, publishKey, path string, canonicalQuery, body []byte) []byte {
	st := s.pool.Get().(*macState)
	st.h.Reset()
	dst = appendV2(st, dst, method, publishKey, path, canonicalQuery, body)
	s.pool.Put(st)
	return dst
}

// appendV2 appends the signature made with st's HMAC, which must be
// freshly keyed or reset.
func appendV2[Q string | []byte](st *macState, dst []byte, method, publishKey, path string, canonicalQuery Q, body []byte) []byte {
	buf := append(st.buf[:0], method...)
	buf = append(buf, '\n')
	buf = append(buf, publishKey...)
	buf = append(buf, '\n')
	buf = append(buf, path...)
	buf = append(buf, '\n')
	buf = append(buf, canonicalQuery...)
	buf = append(buf, '\n')
	st.h.Write(buf)
	st.h.Write(body)
	st.buf = buf[:0]
	sum := st.h.Sum(st.sum[:0])
	dst = append(dst, "v2."...)
	return base64.RawURLEncoding.AppendEncode(dst, sum)
}

// Equal reports whether two signatures are equal, in constant time.
func Equal(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
