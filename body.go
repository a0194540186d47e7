package pam

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON returns the grant request body exactly as
// [Client.GrantToken] sends it. It does not validate the request.
func (r *TokenRequest) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	return r.appendBody(make([]byte, 0, r.bodySizeHint(es, ms)), es, ms), nil
}

// bodySizeHint estimates the body's length so it is built in one allocation.
func (r *TokenRequest) bodySizeHint(es []entry, ms []metaEntry) int {
	n := 256 + len(r.authorizedUUID) + len(r.authorizedUserID)
	for _, e := range es {
		n += len(e.name) + 8
	}
	for _, m := range ms {
		n += len(m.key) + 32
	}
	return n
}

// appendBody appends the grant body for the normalized entries and meta:
// ttl, then permissions with resources and patterns (all five type maps,
// names sorted), meta (always an object) and uuid (only when set). The
// deprecated spaces and users go out as channels and uuids; the users and
// spaces maps stay empty, as every official SDK sends them.
func (r *TokenRequest) appendBody(b []byte, es []entry, ms []metaEntry) []byte {
	n := len(es)
	for i, e := range es {
		if e.pattern {
			n = i
			break
		}
	}
	b = append(b, `{"ttl":`...)
	b = strconv.AppendInt(b, int64(r.ttl/time.Minute), 10)
	b = append(b, `,"permissions":{"resources":`...)
	b = appendGrants(b, es[:n])
	b = append(b, `,"patterns":`...)
	b = appendGrants(b, es[n:])
	b = append(b, `,"meta":{`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.key)
		b = append(b, ':')
		b = appendJSONScalar(b, m.value)
	}
	b = append(b, '}')
	switch {
	case r.hasAuthorizedUUID:
		b = append(b, `,"uuid":`...)
		b = appendJSONString(b, r.authorizedUUID)
	case r.hasAuthorizedUserID:
		b = append(b, `,"uuid":`...)
		b = appendJSONString(b, r.authorizedUserID)
	}
	return append(b, "}}"...)
}

// appendGrants appends the type maps of one kind from its normalized
// entries, which are sorted by wire type and name: a Space and a Channel of
// the same name (a User and a UUID) are one entry with their bits ORed.
func appendGrants(b []byte, es []entry) []byte {
	for _, wt := range [...]ResourceType{Channel, ChannelGroup, UUID} {
		switch wt {
		case Channel:
			b = append(b, `{"channels":{`...)
		case ChannelGroup:
			b = append(b, `},"groups":{`...)
		case UUID:
			b = append(b, `},"uuids":{`...)
		}
		first := true
		for len(es) > 0 && wireType(ResourceType(es[0].rt)) == wt {
			name, bits := es[0].name, es[0].bits
			es = es[1:]
			for len(es) > 0 && es[0].name == name && wireType(ResourceType(es[0].rt)) == wt {
				bits |= es[0].bits
				es = es[1:]
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(bits), 10)
		}
	}
	return append(b, `},"users":{},"spaces":{}}`...)
}

// appendJSONScalar appends a meta value.
func appendJSONScalar(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	}
	// Floats, and values Validate rejects (so that MarshalJSON still shows
	// them), go through encoding/json; what it cannot encode is null.
	if out, err := json.Marshal(v); err == nil {
		return append(b, out...)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// jsonSafe holds the ASCII bytes that go into a JSON string as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string with the escaping
// encoding/json uses (including <, > and & as \u003c, \u003e, \u0026, and
// invalid UTF-8 as \ufffd), so bodies match the official Go SDK's.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !jsonSafe[c] {
				b = appendEscapedASCII(append(b, s[start:i]...), c)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if esc := runeEscape(r, size); esc != "" {
			b = append(append(b, s[start:i]...), esc...)
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscapedASCII appends the escape of an ASCII byte that is not
// jsonSafe.
func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// runeEscape returns how a non-ASCII rune of size bytes is escaped, or ""
// when it goes in as it is.
func runeEscape(r rune, size int) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return `\ufffd`
	case r == '\u2028':
		return `\u2028`
	case r == '\u2029':
		return `\u2029`
	}
	return ""
}
