package pamtest

import (
	"bytes"

	"github.com/pamkit/pam/internal/tokencodec"
)

// sigTrailer is how a 32-byte "sig" entry begins: the byte-string key "sig"
// and the header of a 32-byte byte string.
var sigTrailer = []byte{0x43, 's', 'i', 'g', 0x58, 0x20}

// tokenFault says why a presented token is not usable.
type tokenFault int

const (
	tokenOK        tokenFault = iota
	tokenMalformed            // not a decodable token
	tokenForeign              // not signed with this keyset's secret
)

// decodeToken decodes a presented token string (URL-safe or standard
// base64, padded or not, possibly percent-encoded) and checks its signature against the keyset's
// secret. The signed bytes are the token's own CBOR without its final "sig"
// entry (the map header counting one entry fewer), which is exactly what
// [tokencodec.Encode] produces without the signature.
func (h *handler) decodeToken(s string) (*tokencodec.Token, tokenFault) {
	b, err := tokencodec.Unwrap(nil, s)
	if err != nil {
		return nil, tokenMalformed
	}
	t, err := tokencodec.Decode(b)
	if err != nil || t == nil {
		return nil, tokenMalformed
	}
	unsigned, ok := unsignedBytes(b)
	if !ok || len(t.Sig) != 32 || !bytes.Equal(b[len(b)-32:], t.Sig) {
		return nil, tokenForeign
	}
	if !hmacEqual(h.mac(unsigned), t.Sig) {
		return nil, tokenForeign
	}
	return t, tokenOK
}

// unsignedBytes returns the CBOR of the token without its trailing "sig"
// entry, with the map header decremented. ok is false when the token does
// not end with a 32-byte signature or its map header is not a small map.
func unsignedBytes(b []byte) ([]byte, bool) {
	n := len(sigTrailer) + 32
	if len(b) < 1+n || !bytes.Equal(b[len(b)-n:len(b)-32], sigTrailer) {
		return nil, false
	}
	head := b[0]
	if head < 0xa1 || head > 0xb7 { // a map of 1..23 entries
		return nil, false
	}
	out := make([]byte, 0, len(b)-n)
	out = append(out, head-1)
	return append(out, b[1:len(b)-n]...), true
}
