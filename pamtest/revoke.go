package pamtest

import (
	"crypto/hmac"
	"net/http"
	"net/url"
	"strings"
)

// revokeOK is the revoke success body.
type revokeOK struct {
	Data struct {
		Message string `json:"message"`
	} `json:"data"`
	Service string `json:"service"`
	Status  int    `json:"status"`
}

// hmacEqual compares MACs in constant time.
func hmacEqual(a, b []byte) bool { return hmac.Equal(a, b) }

// revoke answers DELETE /v3/pam/{sub}/grant/{token}.
func (h *handler) revoke(w http.ResponseWriter, q *request) {
	const source = "revoke"
	fail := func(e *apiError) { writeV3Error(w, q.now, source, e) }
	sub, _ := q.seg(3)
	if e := h.checkSubscribeKey(sub); e != nil {
		fail(e)
		return
	}
	if e := h.verify(q, nil); e != nil {
		fail(e)
		return
	}
	if h.revokeDisabled {
		fail(newAPIError(http.StatusForbidden, msgFeatureDisabled, detailRevokeDisabled, "subscribe-key", "path"))
		return
	}
	invalid := func(msg string) {
		fail(newAPIError(http.StatusBadRequest, msgInvalidToken, msg, "token", "path"))
	}
	// The token is the rest of the path: a client may leave "/" unescaped.
	rawTok := strings.Join(q.segs[5:], "/")
	token, err := url.PathUnescape(rawTok)
	if err != nil {
		invalid(detailMalformed)
		return
	}
	if token == "" {
		invalid(detailMissing)
		return
	}
	t, fault := h.decodeToken(token)
	switch fault {
	case tokenMalformed:
		invalid(detailMalformed)
		return
	case tokenForeign:
		invalid(detailForeign)
		return
	}
	exp := expiry(t.Timestamp, t.TTL)
	if q.now.Unix() >= exp {
		invalid(detailExpired)
		return
	}
	var key [32]byte
	copy(key[:], t.Sig)
	h.mu.Lock()
	added := h.revoked.add(key, exp, q.now.Unix())
	h.mu.Unlock()
	if !added {
		invalid(detailRevoked)
		return
	}
	var ok revokeOK
	ok.Data.Message = "Success"
	ok.Service = serviceName
	ok.Status = http.StatusOK
	writeJSON(w, q.now, http.StatusOK, &ok)
}

// isRevoked reports whether the token with signature sig was revoked.
func (h *handler) isRevoked(sig []byte) bool {
	var key [32]byte
	copy(key[:], sig)
	now := h.now().Unix()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.revoked.has(key, now)
}

// expiry is the Unix second at which a token issued at t with ttl minutes
// expires, saturating instead of overflowing.
func expiry(t, ttl uint64) int64 {
	const maxInt64 = 1<<63 - 1
	if ttl > maxInt64/60 || t > maxInt64-ttl*60 {
		return maxInt64
	}
	return int64(t + ttl*60)
}
