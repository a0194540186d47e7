package pam

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Every error this package returns for one of these causes
// wraps the matching sentinel, so callers test with [errors.Is]. They carry
// no "pam: " prefix: that and the operation are added once, where the error
// leaves the package.
var (
	// ErrInvalidTTL: the token TTL is not a whole number of minutes in 1..43200.
	ErrInvalidTTL = errors.New("invalid ttl")
	// ErrNoPermissions: the request grants nothing, or an entry grants no bits.
	ErrNoPermissions = errors.New("no permissions")
	// ErrInvalidPermission: a permission bit the resource type does not
	// accept, or a name or authorized uuid the service would refuse (empty,
	// not UTF-8, an authorized uuid over 92 bytes).
	ErrInvalidPermission = errors.New("invalid permission")
	// ErrInvalidMeta: a meta key or value the service cannot store.
	ErrInvalidMeta = errors.New("invalid meta")
	// ErrMixedAPIs: the deprecated users/spaces API mixed with channels/groups/uuids.
	ErrMixedAPIs = errors.New("deprecated users/spaces API mixed with the current one")
	// ErrMissingSecretKey: an operation that must be signed, without a secret key.
	ErrMissingSecretKey = errors.New("missing secret key")
	// ErrMissingPublishKey: an operation that must be signed, without a publish key.
	ErrMissingPublishKey = errors.New("missing publish key")
	// ErrMissingToken: an operation that needs a token was given none.
	ErrMissingToken = errors.New("missing token")
	// ErrMalformedToken: the token string is not a well-formed Access Manager v3 token.
	ErrMalformedToken = errors.New("malformed token")
	// ErrUnsupportedVersion: the token has a version other than 2.
	ErrUnsupportedVersion = errors.New("unsupported token version")
	// ErrTokenExpired: the token's TTL has run out.
	ErrTokenExpired = errors.New("token expired")
	// ErrUUIDMismatch: the token is bound to another uuid.
	ErrUUIDMismatch = errors.New("authorized uuid mismatch")
	// ErrPermissionDenied: the token does not grant the requested access.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrRateLimited: a [GrantCache] sent no grant because its client-side
	// limit ([CacheConfig.GrantsPerSecond]) was reached and the caller's
	// context could not wait for the next free slot. [TokenHandler] answers
	// it with 429 and Retry-After.
	ErrRateLimited = errors.New("local rate limit reached")
	// ErrUnauthenticated: what the authorize function given to
	// [TokenHandler] returns, wrapped or not, when the caller has not proved
	// who it is; the handler answers 401. On a device, the error
	// [HTTPTokenSource] returns for a 401 matches it too.
	ErrUnauthenticated = errors.New("unauthenticated")
)

// ErrPatternTooComplex: [Token.Authorize] denied an access that a pattern
// too complex to check locally might allow; the service may allow it. A
// pattern is too complex when it is over 1024 bytes, costly to parse
// (Unicode classes, wide ranges under (?i)) or compiles to more than 1000
// instructions, or when the token's patterns are over a total budget
// together; pam never matches such patterns, which bounds what a forged
// token can cost. It wraps [ErrPermissionDenied].
var ErrPatternTooComplex error = &derivedError{"pattern too complex to check locally", ErrPermissionDenied}

// derivedError is a sentinel that is also another one.
type derivedError struct {
	msg    string
	parent error
}

func (e *derivedError) Error() string { return e.msg }
func (e *derivedError) Unwrap() error { return e.parent }

// maxErrorBody bounds how much of a response body an [APIError] keeps.
const maxErrorBody = 4 << 10

// ErrorDetail is one entry of the "details" list in an Access Manager error.
type ErrorDetail struct {
	// Message says what was wrong, e.g. "Range should be 1 to 43200 minute(s).".
	Message string `json:"message"`
	// Location names the offending field, e.g. "ttl" or "permissions.resources.uuids.u1".
	Location string `json:"location"`
	// LocationType is where Location is: "body", "path" or "query".
	LocationType string `json:"locationType"`
}

// APIError is an error response from the service. Test for it with
// [errors.As]:
//
//	var apiErr *pam.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden { … }
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Service is the service that answered, e.g. "Access Manager".
	Service string
	// Message is the top-level error message, e.g. "Invalid ttl".
	Message string
	// Source is the operation the service names, e.g. "grant" or "revoke".
	Source string
	// Details lists the individual problems, when the service gave them.
	Details []ErrorDetail
	// Body is the raw response body, truncated to a few KiB. It is set only
	// when the body is not an error object this package understands.
	Body []byte
	// Payload holds the resources named by a v2-style 403 ("Forbidden"), if any.
	Payload *ErrorPayload

	answer answerKind // set by newAPIError

	// How many details, channels and channel groups the service named
	// beyond the ones kept (see scrub).
	moreDetails, moreChannels, moreGroups int
}

// ErrorPayload lists the resources a 403 "Forbidden" response names.
type ErrorPayload struct {
	Channels      []string `json:"channels,omitempty"`
	ChannelGroups []string `json:"channel-groups,omitempty"`
}

// Error describes the failure in one line of bounded size; it never
// contains the request URL, signature or token (text from the service has
// them stripped before it is kept). It shows the first few details and
// named resources, and says how many more there are. The operation that
// failed is named by the error that wraps this one.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("service answered ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(clip(e.Message, maxServiceText))
	}
	for i, d := range e.Details {
		if i == maxShownDetails {
			writeMore(&b, "; and ", len(e.Details)-i+e.moreDetails, " more details")
			break
		}
		b.WriteString("; ")
		if d.Location != "" {
			b.WriteString(clip(d.Location, maxDetailText))
			b.WriteString(": ")
		}
		b.WriteString(clip(d.Message, maxDetailText))
	}
	if len(e.Details) <= maxShownDetails {
		writeMore(&b, "; and ", e.moreDetails, " more details")
	}
	if e.Payload != nil {
		writeNames(&b, " (channels: ", e.Payload.Channels, e.moreChannels)
		writeNames(&b, " (channel groups: ", e.Payload.ChannelGroups, e.moreGroups)
	}
	if e.Message == "" && len(e.Body) > 0 {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(clip(string(e.Body), maxShownBody)))
	}
	return b.String()
}

// writeNames writes a parenthesised list of at most maxShownDetails names,
// each cut to maxQuotedName bytes, and how many more there are.
func writeNames(b *strings.Builder, head string, names []string, more int) {
	if len(names) == 0 {
		return
	}
	b.WriteString(head)
	for i, n := range names {
		if i == maxShownDetails {
			more += len(names) - i
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(clip(n, maxQuotedName))
	}
	writeMore(b, ", and ", more, " more")
	b.WriteString(")")
}

// writeMore writes head, n and tail when n is positive.
func writeMore(b *strings.Builder, head string, n int, tail string) {
	if n > 0 {
		b.WriteString(head)
		b.WriteString(strconv.Itoa(n))
		b.WriteString(tail)
	}
}

// Is lets errors.Is(err, ErrTokenExpired) and errors.Is(err,
// ErrPermissionDenied) match the service's own 403 answers.
func (e *APIError) Is(target error) bool {
	if e.StatusCode != http.StatusForbidden {
		return false
	}
	switch k := e.kind(); target {
	case ErrTokenExpired:
		return k == answerExpired
	case ErrPermissionDenied:
		return k != answerFeatureDisabled && k != answerInvalidSignature
	}
	return false
}

// answerKind is what an error answer says, read once from its status and
// messages by [classify]. [APIError.Is], the retry loop (clock skew),
// [Client.RevokeToken] and the transport (token refresh) all read it.
type answerKind uint8

const (
	answerUnclassified     answerKind = iota // an APIError built by hand
	answerOther                              // none of the below
	answerExpired                            // "Token is expired"
	answerRevoked                            // "Token is revoked"
	answerInvalidTimestamp                   // a 400 "Invalid timestamp"
	answerInvalidSignature                   // a 403 "Invalid signature"
	answerFeatureDisabled                    // a 403 "Feature disabled"
	answerForbidden                          // any other 403
)

// classify reads what an error answer says. The service's phrases are
// matched case-insensitively anywhere in the message, the details or an
// unreadable body, since its wording and punctuation vary.
func classify(status int, message string, details []ErrorDetail, body []byte) answerKind {
	texts := make([]string, 0, 2+len(details))
	texts = append(texts, strings.ToLower(message), strings.ToLower(string(body)))
	for _, d := range details {
		texts = append(texts, strings.ToLower(d.Message))
	}
	says := func(phrase string) bool {
		return slices.ContainsFunc(texts, func(t string) bool { return strings.Contains(t, phrase) })
	}
	switch {
	case says("token is expired"):
		return answerExpired
	case says("token is revoked"):
		return answerRevoked
	case status == http.StatusBadRequest && says("invalid timestamp"):
		return answerInvalidTimestamp
	case status == http.StatusForbidden && says("invalid signature"):
		return answerInvalidSignature
	case status == http.StatusForbidden && says("feature disabled"):
		return answerFeatureDisabled
	case status == http.StatusForbidden:
		return answerForbidden
	}
	return answerOther
}

// kind returns what the answer says, classifying it if it was built by hand.
func (e *APIError) kind() answerKind {
	if e.answer != answerUnclassified {
		return e.answer
	}
	return classify(e.StatusCode, e.Message, e.Details, e.Body)
}

// errorBody is both shapes of an Access Manager error body: the v3 shape
// with an "error" object, and the flat shape with "error": true.
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Status  int             `json:"status"`
	Service string          `json:"service"`
	Message string          `json:"message"`
	Payload *ErrorPayload   `json:"payload"`
}

type errorObject struct {
	Message string        `json:"message"`
	Source  string        `json:"source"`
	Details []ErrorDetail `json:"details"`
}

// newAPIError decodes an error response body, reads what it says from the
// whole text, then strips the request's secrets (nil: none known) from
// every text and bounds it (see [APIError.scrub]). A body it cannot read as
// an error object is kept, so stripped and truncated, in Body.
func newAPIError(status int, body []byte, secrets *requestSecrets) *APIError {
	e := decodeAPIError(status, body)
	e.answer = classify(e.StatusCode, e.Message, e.Details, e.Body[:min(len(e.Body), maxErrorBody)])
	e.scrub(secrets)
	return e
}

func decodeAPIError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil {
		e.Service = eb.Service
		e.Message = eb.Message
		e.Payload = eb.Payload
		var obj errorObject
		if len(eb.Error) > 0 && eb.Error[0] == '{' && json.Unmarshal(eb.Error, &obj) == nil {
			e.Message = obj.Message
			e.Source = obj.Source
			e.Details = obj.Details
		}
		if e.Message != "" || e.Service != "" {
			return e
		}
	}
	e.Body = body // scrub copies what it keeps
	return e
}

// DeniedError is a denial from [Token.Authorize]. Its message starts with
// "pam: " and says why, in words; the fields carry the same facts for
// programs. It wraps [ErrPermissionDenied] and, as the case may be,
// [ErrTokenExpired], [ErrUUIDMismatch] or [ErrPatternTooComplex].
type DeniedError struct {
	// Access is the access that was denied, with At filled in.
	Access Access
	// Reason is the message without the "pam: " prefix.
	Reason string
	// ExpiresAt is when the token expired; zero unless that is the reason.
	ExpiresAt time.Time
	// Entry is the exact resource entry that decided, if the token has one
	// for the name.
	Entry string
	// Pattern is the pattern that matched the name but lacked bits, if
	// there was no exact entry.
	Pattern string
	// Granted is what Entry or Pattern grants.
	Granted Permission
	// Missing is the requested bits that Entry or Pattern lacks.
	Missing Permission
	// Candidates are the names and patterns of the requested type nearest
	// to the name, when nothing matched it, nearest first.
	Candidates []string

	sentinels []error
}

// Error returns "pam: " and the reason.
func (e *DeniedError) Error() string { return "pam: " + e.Reason }

// Unwrap returns the sentinel errors the denial matches.
func (e *DeniedError) Unwrap() []error { return e.sentinels }

var _ error = (*DeniedError)(nil)

// opError is how an error leaves the package, as [url.Error] does: "pam: ",
// the operation and the cause, said once. The cause stays matchable with
// errors.Is and errors.As.
type opError struct {
	op  string // "grant token", "WithRetry", …; "" for Validate and ParseToken
	err error
}

// Error returns "pam: <op>: <cause>". A cause that is itself an opError is
// written without its own "pam: ".
func (e *opError) Error() string { return "pam: " + e.text() }

func (e *opError) text() string {
	cause := e.err.Error()
	if inner, ok := e.err.(*opError); ok { //nolint:errorlint // only a direct cause: one wrapped further keeps its own words
		cause = inner.text()
	}
	if e.op == "" {
		return cause
	}
	return e.op + ": " + cause
}

func (e *opError) Unwrap() error { return e.err }

// opErr returns err as it leaves the package from op; nil stays nil.
func opErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: op, err: err}
}

// opErrs joins problems found at once, each with "pam: " and op, so that
// every line of the message starts with the prefix; none is nil.
func opErrs(op string, problems []error) error {
	if len(problems) == 0 {
		return nil
	}
	wrapped := make([]error, len(problems))
	for i, p := range problems {
		wrapped[i] = &opError{op: op, err: p}
	}
	return errors.Join(wrapped...)
}

// optionError is an invalid option: "pam: <option>: <what>".
func optionError(option, format string, args ...any) error {
	return &opError{op: option, err: fmt.Errorf(format, args...)}
}

// sourceError is a failure to get a token from a token source:
// "pam: token source: <cause>".
func sourceError(err error) error {
	return &opError{op: "token source", err: err}
}

// rateLimitError is [ErrRateLimited] with the wait the caller could not
// afford, which [TokenHandler] turns into Retry-After.
type rateLimitError struct {
	wait time.Duration
	rate float64
}

func (e *rateLimitError) Error() string {
	return fmt.Sprintf("local rate limit reached: the next grant may be sent in %v, after the context's deadline; retry later or raise CacheConfig.GrantsPerSecond (now %g)",
		e.wait.Round(time.Millisecond), e.rate)
}

func (e *rateLimitError) Unwrap() error { return ErrRateLimited }

// retryAfter is the wait in whole seconds, at least 1, for a Retry-After
// header.
func (e *rateLimitError) retryAfter() int64 {
	return max(1, int64(math.Ceil(e.wait.Seconds())))
}

// endpointError is a token endpoint's answer other than 200, as
// [HTTPTokenSource] reads it.
type endpointError struct {
	status int
	text   string // the answer's "error", bounded; "" if none
}

func (e *endpointError) Error() string {
	msg := "answered " + strconv.Itoa(e.status)
	if st := http.StatusText(e.status); st != "" {
		msg += " " + st
	}
	if e.text != "" {
		msg += ": " + e.text
	}
	return msg
}

// Is matches [ErrUnauthenticated] for a 401 and [ErrPermissionDenied] for a
// 403.
func (e *endpointError) Is(target error) bool {
	return (target == ErrUnauthenticated && e.status == http.StatusUnauthorized) ||
		(target == ErrPermissionDenied && e.status == http.StatusForbidden)
}
