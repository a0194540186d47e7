package tokencodec

import (
	"encoding/binary"
	"strconv"
)

// b64 maps a base64 character of either alphabet (standard "+/" or URL-safe
// "-_") to its value; 0xFF marks everything else.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range len(std) {
		t[std[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// b64quad holds b64 pre-shifted for each position of a quantum of four
// characters, so that a quantum's 24 bits are the OR of four lookups;
// anything that is not base64 sets bit 31 instead.
var b64quad = func() (t [4][256]uint32) {
	for c, v := range b64 {
		for p := range 4 {
			if v == 0xFF {
				t[p][c] = 1 << 31
			} else {
				t[p][c] = uint32(v) << (18 - 6*p)
			}
		}
	}
	return t
}()

// TextError is a token string that is not base64.
type TextError struct {
	Offset int    // position in the token string; -1 for the whole string
	Msg    string // what was wrong
}

// Error returns the message with its position.
func (e *TextError) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return e.Msg + " (at character " + strconv.Itoa(e.Offset) + ")"
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Unwrap decodes a token string into CBOR bytes appended to dst. It accepts
// the URL-safe or the standard base64 alphabet (even mixed), with or
// without "=" padding, and percent-encoded characters (%3D, %2B, %2F, …)
// anywhere. It rejects an empty string and one longer than [MaxTokenLen]
// before any other work. Bits left over after the last whole byte are
// ignored, as encoding/base64 does.
func Unwrap(dst []byte, token string) ([]byte, error) {
	if token == "" {
		return dst, &TextError{Offset: -1, Msg: "token is empty"}
	}
	if len(token) > MaxTokenLen {
		return dst, &TextError{Offset: -1, Msg: "token is longer than " + strconv.Itoa(MaxTokenLen) + " characters"}
	}
	if need := len(dst) + len(token)/4*3 + 3; cap(dst) < need {
		nd := make([]byte, len(dst), need)
		copy(nd, dst)
		dst = nd
	}
	dst, i := appendPlain(dst, token)
	return appendRest(dst, token, i)
}

// appendPlain decodes the longest run of whole quanta of plain base64
// characters at the start of s into dst, whose capacity is enough for all
// of s, and returns how many characters it read.
func appendPlain(dst []byte, s string) ([]byte, int) {
	i := 0
	// Sixteen, then eight plain characters at a time. Four lookups make a
	// quantum's 24 bits; two quanta go out as one big-endian word of which
	// the first six bytes count (the next write or the slower loops below
	// overwrite the other two).
	out := dst[len(dst):cap(dst)]
	o := 0
	for ; i+16 <= len(s) && o+16 <= len(out); i += 16 {
		q := s[i : i+16]
		w0 := b64quad[0][q[0]] | b64quad[1][q[1]] | b64quad[2][q[2]] | b64quad[3][q[3]]
		w1 := b64quad[0][q[4]] | b64quad[1][q[5]] | b64quad[2][q[6]] | b64quad[3][q[7]]
		w2 := b64quad[0][q[8]] | b64quad[1][q[9]] | b64quad[2][q[10]] | b64quad[3][q[11]]
		w3 := b64quad[0][q[12]] | b64quad[1][q[13]] | b64quad[2][q[14]] | b64quad[3][q[15]]
		if (w0|w1|w2|w3)&(1<<31) != 0 {
			break
		}
		binary.BigEndian.PutUint64(out[o:], uint64(w0)<<40|uint64(w1)<<16)
		binary.BigEndian.PutUint64(out[o+6:], uint64(w2)<<40|uint64(w3)<<16)
		o += 12
	}
	for ; i+8 <= len(s) && o+8 <= len(out); i += 8 {
		q := s[i : i+8]
		hi := b64quad[0][q[0]] | b64quad[1][q[1]] | b64quad[2][q[2]] | b64quad[3][q[3]]
		lo := b64quad[0][q[4]] | b64quad[1][q[5]] | b64quad[2][q[6]] | b64quad[3][q[7]]
		if (hi|lo)&(1<<31) != 0 {
			break
		}
		binary.BigEndian.PutUint64(out[o:], uint64(hi)<<40|uint64(lo)<<16)
		o += 6
	}
	dst = dst[:len(dst)+o]
	// Then whole quanta of four plain characters.
	for ; i+4 <= len(s); i += 4 {
		a, b, c, e := b64[s[i]], b64[s[i+1]], b64[s[i+2]], b64[s[i+3]]
		if a|b|c|e == 0xFF {
			break
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2, c<<6|e)
	}
	return dst, i
}

// appendRest decodes s from index i on, character by character: percent
// escapes, "=" padding and a final partial quantum.
func appendRest(dst []byte, s string, i int) ([]byte, error) {
	var acc uint32
	n, pad := 0, 0
	for ; i < len(s); i++ {
		at := i
		c := s[i]
		if c == '%' {
			var err error
			if c, err = percentByte(s, i); err != nil {
				return dst, err
			}
			i += 2
		}
		if c == '=' {
			pad++
			continue
		}
		if pad > 0 {
			return dst, &TextError{Offset: at, Msg: "data after '=' padding"}
		}
		v := b64[c]
		if v == 0xFF {
			return dst, &TextError{Offset: at, Msg: "character " + strconv.QuoteRune(rune(c)) + " is not base64"}
		}
		acc = acc<<6 | uint32(v)
		if n++; n == 4 {
			dst = append(dst, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	return appendPartial(dst, acc, n, pad)
}

// percentByte decodes the percent escape at s[at].
func percentByte(s string, at int) (byte, error) {
	if at+2 >= len(s) {
		return 0, &TextError{Offset: at, Msg: "incomplete percent-encoding"}
	}
	h, ok1 := unhex(s[at+1])
	l, ok2 := unhex(s[at+2])
	if !ok1 || !ok2 {
		return 0, &TextError{Offset: at, Msg: "invalid percent-encoding"}
	}
	return h<<4 | l, nil
}

// appendPartial appends the bytes of a final quantum of n characters held
// in acc, followed by pad "=" characters.
func appendPartial(dst []byte, acc uint32, n, pad int) ([]byte, error) {
	switch n {
	case 1:
		return dst, &TextError{Offset: -1, Msg: "base64 data ends in a partial byte; the token is truncated"}
	case 2:
		dst = append(dst, byte(acc>>4))
	case 3:
		dst = append(dst, byte(acc>>10), byte(acc>>2))
	}
	if pad > 0 && (n == 0 || n+pad != 4) {
		return dst, &TextError{Offset: -1, Msg: "wrong '=' padding"}
	}
	return dst, nil
}
