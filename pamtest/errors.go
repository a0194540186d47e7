package pamtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/pamkit/pam/internal/authz"
)

// The service name every Access Manager body carries.
const serviceName = "Access Manager"

// contentType is the Content-Type of every response, as the service sends it.
const contentType = "text/javascript; charset=UTF-8"

// Messages of the v3 error shape (wire.md §4.2) and the emulator's own
// choices where the service's text is not recorded (marked "pamtest").
const (
	msgInvalidTTL         = "Invalid ttl"
	msgNoPermissions      = "This grant contains no permissions"
	detailNoPermissions   = "What are you granting?"
	msgInvalidPermissions = "Invalid permissions"
	msgInvalidRegExp      = "Invalid RegExp"
	detailNonCapturing    = "Only non-capturing groups are allowed. Try replacing `(` with `(?:`."
	msgInvalidToken       = "Invalid token"
	msgFeatureDisabled    = "Feature disabled"
	detailRevokeDisabled  = "Token revocation is disabled."
	msgInvalidSignature   = "Invalid signature"
	detailBadSignature    = "Client and server produced different signatures for the same inputs."

	// pamtest's own choices.
	msgInvalidTimestamp    = "Invalid timestamp"
	msgInvalidContentType  = "Invalid Content-Type"
	msgInvalidBody         = "Invalid request body"
	msgInvalidMeta         = "Invalid meta"
	msgInvalidUUID         = "Invalid uuid"
	msgInvalidSubscribeKey = "Invalid subscribe key"
	msgTokenTooLarge       = "Token too large"
	detailUnknownKey       = "Specified key does not exist."
	detailMissingSignature = "Signature is required."
	detailMissingTimestamp = "Timestamp is required (Unix seconds)."
	detailStaleTimestamp   = "Timestamp must be within 60 seconds of the server time."
	// detailTooComplex starts the Invalid RegExp detail of a pattern over
	// the limits pam checks locally (internal/authz), which the service
	// may accept; the reason follows.
	detailTooComplex = "Syntax error: pattern too complex for pam to check locally (pamtest refuses it): "

	// Flat 403 messages of token enforcement.
	flatExpired   = "Token is expired."
	flatRevoked   = "Token is revoked."
	flatInvalid   = "Token is invalid."
	flatUUID      = "Token is not authorized for this uuid."
	flatNoUUID    = "Token is bound to a uuid, but the request's uuid is missing."
	flatForbidden = "Forbidden"

	// Token-level details on revoke.
	detailExpired   = "Token is expired."
	detailRevoked   = "Token is revoked."
	detailMalformed = "Token is malformed."
	detailForeign   = "Token was not issued for this keyset."
	detailMissing   = "Token is missing."
)

// detailTooComplexTogether is the Invalid RegExp detail of patterns each
// within the limits pam checks locally but over them together.
var detailTooComplexTogether = "Syntax error: patterns too complex together for pam to check locally (pamtest refuses them): " +
	"their parse cost and program sizes add up to more than " + strconv.Itoa(authz.MaxTokenCost) + " units."

// detail is one entry of a v3 error's "details" list.
type detail struct {
	Message      string `json:"message"`
	Location     string `json:"location"`
	LocationType string `json:"locationType"`
}

// v3Error is the Access Manager v3 error body.
type v3Error struct {
	Error struct {
		Message string   `json:"message"`
		Source  string   `json:"source"`
		Details []detail `json:"details"`
	} `json:"error"`
	Service string `json:"service"`
	Status  int    `json:"status"`
}

// apiError is an error answer of grant or revoke, written by [writeV3Error].
type apiError struct {
	status  int
	message string
	details []detail
}

// newAPIError returns an apiError with one detail.
func newAPIError(status int, message, detailMsg, location, locationType string) *apiError {
	return &apiError{status: status, message: message, details: []detail{{detailMsg, location, locationType}}}
}

// sortDetails orders details by location, so that answers are deterministic.
func (e *apiError) sortDetails() *apiError {
	sort.SliceStable(e.details, func(i, j int) bool { return e.details[i].Location < e.details[j].Location })
	return e
}

// flatError is the flat error body the service sends from ordinary APIs.
type flatError struct {
	Error   bool   `json:"error"`
	Status  int    `json:"status"`
	Service string `json:"service,omitempty"`
	Message string `json:"message"`
}

// forbiddenError is the v2-style 403 that names the resources denied.
type forbiddenError struct {
	Message string `json:"message"`
	Payload struct {
		Channels []string `json:"channels"`
	} `json:"payload"`
	Error   bool   `json:"error"`
	Service string `json:"service"`
	Status  int    `json:"status"`
}

// writeBody sends body with the service's Content-Type and a Date header
// from the emulator's clock.
func writeBody(w http.ResponseWriter, now time.Time, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSON marshals v and sends it. The values passed here always marshal.
func writeJSON(w http.ResponseWriter, now time.Time, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the service writes <, > and & as they are
	if err := enc.Encode(v); err != nil {
		writeBody(w, now, http.StatusInternalServerError, []byte(`{"error":true,"status":500,"message":"Internal Server Error"}`))
		return
	}
	writeBody(w, now, status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeV3Error sends e in the v3 error shape with the given source
// ("grant" or "revoke").
func writeV3Error(w http.ResponseWriter, now time.Time, source string, e *apiError) {
	var b v3Error
	b.Error.Message = e.message
	b.Error.Source = source
	b.Error.Details = e.details
	if b.Error.Details == nil {
		b.Error.Details = []detail{}
	}
	b.Service = serviceName
	b.Status = e.status
	writeJSON(w, now, e.status, &b)
}

// writeFlatError sends the flat error shape.
func writeFlatError(w http.ResponseWriter, now time.Time, status int, service, message string) {
	writeJSON(w, now, status, &flatError{Error: true, Status: status, Service: service, Message: message})
}

// writeForbidden sends 403 "Forbidden" naming the channels denied.
func writeForbidden(w http.ResponseWriter, now time.Time, channels []string) {
	var b forbiddenError
	b.Message = flatForbidden
	b.Payload.Channels = channels
	b.Error = true
	b.Service = serviceName
	b.Status = http.StatusForbidden
	writeJSON(w, now, http.StatusForbidden, &b)
}
