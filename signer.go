package pam

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"github.com/pamkit/pam/internal/sign"
)

// pnsdkParam is the pnsdk parameter, "PubNub-Go-pam/<version>", encoded.
const pnsdkParam = "pnsdk=PubNub-Go-pam%2F" + version

// signedQuery returns the query string for a request to path with the given
// method and body: pnsdk, requestid, timestamp and uuid in canonical
// (sorted) order, followed by the v2 signature over exactly those bytes, the
// path and the body. It is written into one stack buffer, signed with the
// client's pooled HMAC (see [sign.Signer]), and copied out once as the
// returned string.
func (c *Client) signedQuery(method, path string, body []byte, unix int64) string {
	var stack [512]byte
	b := append(stack[:0], pnsdkParam...)
	b = append(b, "&requestid="...)
	b = appendRequestID(b)
	b = append(b, "&timestamp="...)
	b = strconv.AppendInt(b, unix, 10)
	b = append(b, "&uuid="...)
	b = sign.AppendEncode(b, c.userID)
	canonical := b
	b = append(b, "&signature="...)
	b = c.signer.AppendV2(b, method, c.keys.Publish, path, canonical, body)
	return string(b)
}

// appendRequestID appends a random (version 4) UUID in its 36-character
// form, as uuid.NewString would return it, without allocating.
func appendRequestID(b []byte) []byte {
	var u [16]byte
	_, _ = rand.Read(u[:])  // never fails: crypto/rand crashes the program instead
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}

// escapePathSegment escapes s for use as one path segment: only
// A-Z a-z 0-9 - _ . stay literal, everything else is %XX (space is %20).
func escapePathSegment(s string) string { return sign.Encode(s) }
