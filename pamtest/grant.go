package pamtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/pamkit/pam/internal/tokencodec"
)

// grantTypes are the type keys of a grant body's resources and patterns, in
// the order the emulator reports problems.
var grantTypes = [...]string{"channels", "groups", "uuids", "users", "spaces"}

// grantOK is the grant success body.
type grantOK struct {
	Data struct {
		Message string `json:"message"`
		Token   string `json:"token"`
	} `json:"data"`
	Service string `json:"service"`
	Status  int    `json:"status"`
}

// grant answers POST /v3/pam/{sub}/grant.
func (h *handler) grant(w http.ResponseWriter, q *request) {
	const source = "grant"
	fail := func(e *apiError) { writeV3Error(w, q.now, source, e) }
	sub, _ := q.seg(3)
	if e := h.checkSubscribeKey(sub); e != nil {
		fail(e)
		return
	}
	body, err := io.ReadAll(io.LimitReader(q.r.Body, maxBody+1))
	if err != nil {
		fail(newAPIError(http.StatusBadRequest, msgInvalidBody, "The request body could not be read.", "body", "body"))
		return
	}
	if len(body) > maxBody {
		writeJSON(w, q.now, http.StatusRequestEntityTooLarge, &flatError{Error: true, Status: http.StatusRequestEntityTooLarge, Service: "Balancer", Message: "Request Entity Too Large."})
		return
	}
	if e := h.verify(q, body); e != nil {
		fail(e)
		return
	}
	if mt, _, err := mime.ParseMediaType(q.r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		fail(newAPIError(http.StatusBadRequest, msgInvalidContentType, "Content-Type must be application/json.", "Content-Type", "header"))
		return
	}
	g, e := parseGrant(body, h.maxTTL)
	if e != nil {
		fail(e)
		return
	}
	token, err := h.mint(g, q.now.Unix())
	if err != nil {
		// Only meta can fail to encode; parseMeta already bounds it.
		fail(newAPIError(http.StatusBadRequest, msgInvalidMeta, "Unexpected value: `permissions.meta` cannot be stored in a token.", "permissions.meta", "body"))
		return
	}
	if len(token) > maxTokenChars {
		fail(newAPIError(http.StatusBadRequest, msgTokenTooLarge, tokenTooLargeDetail(len(token)), "permissions", "body"))
		return
	}
	var ok grantOK
	ok.Data.Message = "Success"
	ok.Data.Token = token
	ok.Service = serviceName
	ok.Status = http.StatusOK
	writeJSON(w, q.now, http.StatusOK, &ok)
}

// maxTokenChars is the longest token the emulator issues: the longest
// token pam.ParseToken and the emulator itself read (32 KiB), less the four
// characters its "=" padding grows by when percent-encoded as %3D. Every
// token issued can so be read back, whichever way a client escapes it.
const maxTokenChars = tokencodec.MaxTokenLen - 4

// tokenTooLargeDetail says why a grant was refused for the size of its token.
func tokenTooLargeDetail(n int) string {
	return "The token would be " + strconv.Itoa(n) + " characters long; the emulator issues tokens of at most " +
		strconv.Itoa(maxTokenChars) + " characters, which travel in request URLs. " +
		"Grant fewer resources (a pattern can cover many), split the grant into several tokens, or keep less in meta."
}

// grantRequest is a validated grant body.
type grantRequest struct {
	ttl     uint64
	res     tokencodec.Grants
	pat     tokencodec.Grants
	meta    map[string]any
	uuid    string
	hasUUID bool
}

// rawGrant is the grant body, with the parts the emulator validates itself
// kept raw.
type rawGrant struct {
	TTL         json.RawMessage `json:"ttl"`
	Permissions *struct {
		Resources json.RawMessage `json:"resources"`
		Patterns  json.RawMessage `json:"patterns"`
		Meta      json.RawMessage `json:"meta"`
		UUID      json.RawMessage `json:"uuid"`
	} `json:"permissions"`
}

// parseGrant validates a grant body as the service does, answering with its
// error in the order: body, ttl, permission values, no permissions, RegExp.
func parseGrant(body []byte, maxTTL int) (*grantRequest, *apiError) {
	var raw rawGrant
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, newAPIError(http.StatusBadRequest, msgInvalidBody, "The request body is not a valid JSON object.", "body", "body")
	}
	g := &grantRequest{}
	ttl, ok := parseTTL(raw.TTL)
	if !ok || ttl < 1 || ttl > uint64(maxTTL) {
		return nil, newAPIError(http.StatusBadRequest, msgInvalidTTL, "Range should be 1 to "+strconv.Itoa(maxTTL)+" minute(s).", "ttl", "body")
	}
	g.ttl = ttl
	if raw.Permissions == nil {
		return nil, newAPIError(http.StatusBadRequest, msgNoPermissions, detailNoPermissions, "permissions", "body")
	}
	p := raw.Permissions
	invalid := &apiError{status: http.StatusBadRequest, message: msgInvalidPermissions}
	var total int
	var err *apiError
	if g.res, total, err = parseGrants("resources", p.Resources, invalid); err != nil {
		return nil, err
	}
	var n int
	if g.pat, n, err = parseGrants("patterns", p.Patterns, invalid); err != nil {
		return nil, err
	}
	total += n
	if len(invalid.details) > 0 {
		return nil, invalid.sortDetails()
	}
	if total == 0 {
		return nil, newAPIError(http.StatusBadRequest, msgNoPermissions, detailNoPermissions, "permissions", "body")
	}
	if err := checkPatterns(&g.pat); err != nil {
		return nil, err
	}
	if g.meta, err = parseMeta(p.Meta); err != nil {
		return nil, err
	}
	if g.uuid, g.hasUUID, err = parseUUID(p.UUID); err != nil {
		return nil, err
	}
	return g, nil
}

// parseUUID reads permissions.uuid: absent, null or "" is no uuid.
func parseUUID(raw json.RawMessage) (string, bool, *apiError) {
	if len(raw) == 0 || isNull(raw) {
		return "", false, nil
	}
	var u string
	if json.Unmarshal(raw, &u) != nil {
		return "", false, newAPIError(http.StatusBadRequest, msgInvalidUUID, "Unexpected value: `permissions.uuid` must be a string.", "permissions.uuid", "body")
	}
	return u, u != "", nil
}

// isNull reports whether raw is the JSON null.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// parseTTL reads ttl as an integer or, as the service also accepts, a
// string holding one.
func parseTTL(raw json.RawMessage) (uint64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	s := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		s = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return uint64(n), true
}

// grantsOf returns the map of g for a body type key.
func grantsOf(g *tokencodec.Grants, tp string) map[string]uint32 {
	switch tp {
	case "channels":
		return g.Chan
	case "groups":
		return g.Grp
	case "uuids":
		return g.UUID
	case "users":
		return g.Usr
	case "spaces":
		return g.Spc
	}
	return nil
}

// parseGrants reads "resources" or "patterns": every type map present (empty
// when the body leaves it out), each value a bitmask in 1..255. Bad values
// are added to invalid; n counts the entries.
func parseGrants(section string, raw json.RawMessage, invalid *apiError) (g tokencodec.Grants, n int, e *apiError) {
	g = tokencodec.Grants{
		Chan: map[string]uint32{}, Grp: map[string]uint32{}, UUID: map[string]uint32{},
		Usr: map[string]uint32{}, Spc: map[string]uint32{},
	}
	if len(raw) == 0 || isNull(raw) {
		return g, 0, nil
	}
	var types map[string]json.RawMessage
	if json.Unmarshal(raw, &types) != nil {
		return g, 0, newAPIError(http.StatusBadRequest, msgInvalidPermissions, "Unexpected value: `permissions."+section+"` must be an object.", "permissions."+section, "body")
	}
	for _, tp := range grantTypes {
		traw, ok := types[tp]
		if !ok || isNull(traw) {
			continue
		}
		loc := "permissions." + section + "." + tp
		var entries map[string]json.RawMessage
		if json.Unmarshal(traw, &entries) != nil {
			return g, 0, newAPIError(http.StatusBadRequest, msgInvalidPermissions, "Unexpected value: `"+loc+"` must be an object.", loc, "body")
		}
		m := grantsOf(&g, tp)
		for name, v := range entries {
			n++
			bits, msg := parseBits(v)
			if msg != "" {
				l := loc + "." + name
				invalid.details = append(invalid.details, detail{"Unexpected value: `" + l + "` " + msg, l, "body"})
				continue
			}
			m[name] = bits
		}
	}
	return g, n, nil
}

// parseBits reads a permission bitmask; on failure it returns the end of the
// service's sentence ("must be positive and non-zero.").
func parseBits(raw json.RawMessage) (uint32, string) {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil || f <= 0 || f != math.Trunc(f) {
		return 0, "must be positive and non-zero."
	}
	if f > 255 {
		return 0, "must be at most 255."
	}
	return uint32(f), ""
}

// parseMeta reads permissions.meta: absent or null is {}, anything else must
// be an object. Numbers become int64, uint64 or float64, as
// tokencodec.Number says.
func parseMeta(raw json.RawMessage) (map[string]any, *apiError) {
	if len(raw) == 0 || isNull(raw) {
		return map[string]any{}, nil
	}
	bad := newAPIError(http.StatusBadRequest, msgInvalidMeta, "Unexpected value: `permissions.meta` must be an object.", "permissions.meta", "body")
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil {
		return nil, bad
	}
	if _, err := tokencodec.FromJSON(m, maxMetaDepth); err != nil {
		return nil, newAPIError(http.StatusBadRequest, msgInvalidMeta, "Unexpected value: `permissions.meta` "+err.Error()+".", "permissions.meta", "body")
	}
	return m, nil
}

// maxMetaDepth bounds the nesting of meta's containers, so tokens stay
// decodable.
const maxMetaDepth = 8

// mint builds and signs a token: version 2, issued now, signed with
// HMAC-SHA256 over the unsigned CBOR map with the keyset's secret key, and
// encoded as URL-safe base64 with padding.
func (h *handler) mint(g *grantRequest, now int64) (string, error) {
	t := &tokencodec.Token{
		Version:   2,
		Timestamp: uint64(max(now, 0)),
		TTL:       g.ttl,
		Res:       g.res,
		Pat:       g.pat,
		Meta:      g.meta,
		UUID:      g.uuid,
		HasUUID:   g.hasUUID,
	}
	unsigned, err := tokencodec.Encode(t, false)
	if err != nil {
		return "", err
	}
	t.Sig = h.mac(unsigned)
	signed, err := tokencodec.Encode(t, true)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(signed), nil
}

// mac is HMAC-SHA256 of b with the keyset's secret key.
func (h *handler) mac(b []byte) []byte {
	m := hmac.New(sha256.New, []byte(h.keys.Secret))
	m.Write(b)
	return m.Sum(nil)
}
