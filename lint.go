package pam

import (
	"cmp"
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"github.com/pamkit/pam/internal/authz"
	"github.com/pamkit/pam/internal/lintfix"
	"github.com/pamkit/pam/internal/tokencodec"
)

// Warning is one piece of advice from [TokenRequest.Lint].
type Warning struct {
	// Request reports that the warning is about the request as a whole
	// (its authorized uuid, its size, its meta) rather than one resource or
	// pattern. Type, Pattern and Name are then unset: Type, zero, does not
	// mean [Channel].
	Request bool
	// Type is the resource type of the entry the warning is about.
	Type ResourceType
	// Pattern reports whether Name is a pattern rather than an exact name.
	Pattern bool
	// Name is the name or pattern the warning is about; "" when it is about
	// the request as a whole.
	Name string
	// Code identifies the kind of warning; one of the Lint* constants.
	Code WarningCode
	// Message says what is wrong and what to do about it.
	Message string
}

// String returns the code and the message.
func (w Warning) String() string { return string(w.Code) + ": " + w.Message }

// WarningCode identifies a kind of [Warning]. Its values are the Lint*
// constants; print one with %s or convert it with string().
type WarningCode string

// Warning codes.
const (
	// LintRegexpInName: an exact resource name contains a regular expression
	// metacharacter (*, ^ or $); exact names are matched literally.
	LintRegexpInName WarningCode = "regexp-in-name"
	// LintGlobPattern: a pattern that looks like a glob (room-*).
	LintGlobPattern WarningCode = "glob-pattern"
	// LintUnanchoredPattern: a pattern without ^ at the start or $ at the
	// end.
	LintUnanchoredPattern WarningCode = "unanchored-pattern"
	// LintCapturingGroup: a pattern with a capturing group, which the
	// service rejects.
	LintCapturingGroup WarningCode = "capturing-group"
	// LintInvalidRegexp: a pattern that does not compile as Go RE2.
	LintInvalidRegexp WarningCode = "invalid-regexp"
	// LintLongToken: the token would be long enough to make request URLs
	// too long (a request-wide warning).
	LintLongToken WarningCode = "long-token"
	// LintNoAuthorizedUUID: the token is not bound to a uuid (a
	// request-wide warning).
	LintNoAuthorizedUUID WarningCode = "no-authorized-uuid"
	// LintEmptyMetaKey: a meta key is empty (a request-wide warning). The
	// service takes any JSON object as meta and keeps the key in the token,
	// so the grant succeeds, but an empty key is easy to miss when reading
	// the token and is usually a key variable left unset.
	LintEmptyMetaKey WarningCode = "empty-meta-key"
)

// LongTokenChars is the estimated token length, in characters, above which
// Lint warns. Every PubNub request carries the token in its URL (auth=…);
// with room left for the rest of the URL, this keeps URLs under 2 KB, a
// limit some proxies and CDNs still enforce.
const LongTokenChars = 1500

// Lint returns advice about the request, sorted by resource type, then
// exact names before patterns, then name and code, with warnings about the
// request as a whole first. Lint only advises: [Client.GrantToken] never
// calls it, and nothing it reports stops a grant. It warns about:
//
//   - regular expression metacharacters (*, .*, ^, $) in an exact name;
//   - patterns that look like globs (room-*);
//   - patterns not anchored with ^ and $;
//   - capturing groups, which the service rejects;
//   - patterns that do not compile as Go RE2, which [Token.Allows] never
//     matches (the service's dialect differs, so it may still accept them);
//   - tokens whose estimated length exceeds [LongTokenChars];
//   - no authorized uuid;
//   - an empty meta key.
func (r *TokenRequest) Lint() []Warning {
	if r == nil {
		return nil
	}
	var ws []Warning
	bound := r.hasAuthorizedUUID && r.authorizedUUID != "" || r.hasAuthorizedUserID && r.authorizedUserID != ""
	if !bound {
		ws = append(ws, Warning{Request: true, Code: LintNoAuthorizedUUID,
			Message: "the token is not bound to a uuid, so anyone who obtains it can use it; " +
				"call AuthorizedUUID with the uuid of the client that will use it"})
	}
	if n := r.estimateTokenChars(); n > LongTokenChars {
		ws = append(ws, Warning{Request: true, Code: LintLongToken,
			Message: fmt.Sprintf("the token will be about %d characters; it travels in the URL of every request (auth=…), "+
				"and URLs over 2 KB fail with some proxies and CDNs; grant fewer names (a pattern can cover many), "+
				"split the grant into several tokens, or keep less in meta", n)})
	}
	res, pat, meta := r.grantMaps()
	if _, ok := meta[""]; ok {
		ws = append(ws, Warning{Request: true, Code: LintEmptyMetaKey,
			Message: "a meta key is empty; the service accepts it and the token keeps it, " +
				"but it is easy to miss and usually a key left unset: check the key passed to Meta"})
	}
	for rt := Channel; rt <= User; rt++ {
		for name := range res[rt] {
			ws = lintName(ws, rt, name)
		}
		for p := range pat[rt] {
			ws = lintPattern(ws, rt, p)
		}
	}
	slices.SortFunc(ws, func(a, b Warning) int {
		return cmp.Or(
			cmp.Compare(boolInt(!a.Request), boolInt(!b.Request)),
			cmp.Compare(a.Type, b.Type),
			cmp.Compare(boolInt(a.Pattern), boolInt(b.Pattern)),
			strings.Compare(a.Name, b.Name),
			strings.Compare(string(a.Code), string(b.Code)),
		)
	})
	return ws
}

// grantMaps returns the request's grants as maps indexed by ResourceType
// (merged, as normalize merges them), and its meta as a map.
func (r *TokenRequest) grantMaps() (res, pat [5]map[string]Permission, meta map[string]any) {
	es, ms := r.normalize(nil, nil)
	for _, e := range es {
		set := &res
		if e.pattern {
			set = &pat
		}
		if set[e.rt] == nil {
			set[e.rt] = make(map[string]Permission)
		}
		set[e.rt][e.name] = e.bits
	}
	if len(ms) > 0 {
		meta = make(map[string]any, len(ms))
		for _, m := range ms {
			meta[m.key] = m.value
		}
	}
	return res, pat, meta
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// patternMethod names the builder method that grants a pattern of type rt.
func patternMethod(rt ResourceType) string {
	switch rt {
	case ChannelGroup:
		return "ChannelGroupPattern"
	case UUID:
		return "UUIDPattern"
	case Space:
		return "SpacePattern"
	case User:
		return "UserPattern"
	}
	return "ChannelPattern"
}

func lintName(ws []Warning, rt ResourceType, name string) []Warning {
	if !strings.ContainsAny(name, "*^$") {
		return ws
	}
	fix := lintfix.Glob(name)
	if strings.HasPrefix(name, "^") || strings.HasSuffix(name, "$") {
		fix = name
	}
	return append(ws, Warning{Type: rt, Name: name, Code: LintRegexpInName,
		Message: fmt.Sprintf("%s %q is an exact name but contains a regular expression metacharacter; exact names match literally, "+
			"so this grants only the %s named %q; to grant every matching %s use %s(%q)",
			rt.singular(), name, rt.singular(), name, rt.singular(), patternMethod(rt), fix)})
}

func lintPattern(ws []Warning, rt ResourceType, pat string) []Warning {
	what := fmt.Sprintf("%s pattern %q", rt.singular(), pat)
	add := func(code WarningCode, msg string) {
		ws = append(ws, Warning{Type: rt, Pattern: true, Name: pat, Code: code, Message: what + " " + msg})
	}
	fix := lintfix.Anchor(pat)
	if looksLikeGlob(pat) {
		fix = lintfix.Glob(pat)
		add(LintGlobPattern, fmt.Sprintf("looks like a glob, but patterns are regular expressions: "+
			"%q repeats only the character before it; to match names like %q write %q",
			"*", strings.ReplaceAll(pat, "*", "…"), lintfix.Glob(pat)))
	}
	if !strings.HasPrefix(pat, "^") || !strings.HasSuffix(pat, "$") || strings.HasSuffix(pat, `\$`) {
		add(LintUnanchoredPattern, fmt.Sprintf("is not anchored with ^ and $: it may match more names than intended "+
			"(\"room\" could match \"my-room-2\"), and the service and Token.Allows, which matches whole names, "+
			"may disagree about it; write %q", fix))
	}
	if st, err := authz.Check(pat); st == authz.Invalid {
		add(LintInvalidRegexp, fmt.Sprintf("does not compile as a Go RE2 regular expression (%s); "+
			"the service may reject it with \"Invalid RegExp\", and Token.Allows never matches it", regexpErrorCode(err)))
	}
	if authz.HasCapture(pat) {
		add(LintCapturingGroup, "has a capturing group, which the service rejects "+
			"(\"Only non-capturing groups are allowed\"); write (?: instead of (")
	}
	return ws
}

// regexpErrorCode returns the error message of a regexp parse error without
// repeating the expression.
func regexpErrorCode(err error) string {
	if se := (*syntax.Error)(nil); errors.As(err, &se) {
		return string(se.Code)
	}
	return err.Error()
}

// looksLikeGlob reports whether pat has a "*" that follows a plain
// character (or starts the pattern), as in "room-*" or "*-lobby", rather
// than ".", a class, a group or an escape, as a regular expression would.
func looksLikeGlob(pat string) bool {
	for i := 0; i < len(pat); i++ {
		if pat[i] != '*' {
			continue
		}
		if i == 0 {
			return true
		}
		prev := pat[i-1]
		escaped := i >= 2 && pat[i-2] == '\\'
		if !escaped && !strings.ContainsRune(".)]}*+?", rune(prev)) {
			return true
		}
	}
	return false
}

// estimateTokenChars estimates the length of the token the request would
// produce: the exact CBOR the service writes (spaces sent as channels,
// users as uuids, a current timestamp and a 32-byte signature) in padded
// base64. Meta values the encoder does not know count as 16 bytes.
func (r *TokenRequest) estimateTokenChars() int {
	t := tokencodec.TokenOf[Permission]{
		Version:   tokencodec.Version,
		Timestamp: uint64(time.Now().Unix()),
		TTL:       uint64(max(r.ttl/time.Minute, 0)),
		Sig:       make([]byte, 32),
	}
	wire := func(set *[5]map[string]Permission) tokencodec.GrantsOf[Permission] {
		return tokencodec.GrantsOf[Permission]{
			Chan: mergeNames(set[Channel], set[Space]),
			Grp:  set[ChannelGroup],
			UUID: mergeNames(set[UUID], set[User]),
		}
	}
	res, pat, meta := r.grantMaps()
	t.Res, t.Pat = wire(&res), wire(&pat)
	switch {
	case r.hasAuthorizedUUID:
		t.UUID, t.HasUUID = r.authorizedUUID, true
	case r.hasAuthorizedUserID:
		t.UUID, t.HasUUID = r.authorizedUserID, true
	}
	extra := 0
	if len(meta) > 0 {
		t.Meta = make(map[string]any, len(meta))
		for k, v := range meta {
			if _, err := tokencodec.Encode(&tokencodec.Token{Meta: map[string]any{k: v}}, false); err != nil {
				extra += len(k) + 16
				continue
			}
			t.Meta[k] = v
		}
	}
	b, err := tokencodec.Encode(&t, true)
	if err != nil {
		return 0
	}
	return (len(b) + extra + 2) / 3 * 4
}

// mergeNames returns the union of two name maps, without copying when one
// is empty.
func mergeNames(a, b map[string]Permission) map[string]Permission {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	m := make(map[string]Permission, len(a)+len(b))
	for k, v := range a {
		m[k] |= v
	}
	for k, v := range b {
		m[k] |= v
	}
	return m
}
