package pamtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pamkit/pam/internal/authz"
)

// denial is why a token does not allow an access: a flat message, or (when
// message is empty) the list of channels denied.
type denial struct {
	message  string
	channels []string
}

// authorize checks the token presented with auth= for perm on every channel
// in chans, as the service does: the token must decode and carry this
// keyset's signature, not be expired, not be revoked, be bound to the
// request's uuid if bound to any, and grant the bits on each channel (an
// exact entry decides when present, otherwise a pattern matching the whole
// name, as internal/authz decides for pam too). It returns nil when
// allowed.
func (h *handler) authorize(q *request, chans []string, perm uint32) *denial {
	token, _ := q.param("auth")
	if token == "" {
		return &denial{channels: chans}
	}
	t, fault := h.decodeToken(token)
	if fault != tokenOK {
		return &denial{message: flatInvalid}
	}
	if q.now.Unix() >= expiry(t.Timestamp, t.TTL) {
		return &denial{message: flatExpired}
	}
	if h.isRevoked(t.Sig) {
		return &denial{message: flatRevoked}
	}
	if t.HasUUID {
		switch u, _ := q.param("uuid"); {
		case u == "":
			return &denial{message: flatNoUUID}
		case u != t.UUID:
			return &denial{message: flatUUID}
		}
	}
	maps := [authz.Types]map[string]uint32{t.Pat.Chan, t.Pat.Grp, t.Pat.UUID}
	patterns := authz.Build(&h.patterns, &maps)
	var denied []string
	for _, ch := range chans {
		if !authz.Allows(patterns, 0, t.Res.Chan, t.Pat.Chan, ch, perm) {
			denied = append(denied, ch)
		}
	}
	if len(denied) > 0 {
		return &denial{channels: denied}
	}
	return nil
}

// deny writes the service's 403 for d.
func deny(w http.ResponseWriter, q *request, d *denial) {
	if d.message != "" {
		writeFlatError(w, q.now, http.StatusForbidden, serviceName, d.message)
		return
	}
	writeForbidden(w, q.now, d.channels)
}

// publish answers GET /publish/{pub}/{sub}/0/{channel}/0/{message}; the
// token needs write on the channel.
func (h *handler) publish(w http.ResponseWriter, q *request) {
	pub, ok1 := q.seg(2)
	sub, ok2 := q.seg(3)
	ch, ok3 := q.seg(5)
	if !ok1 || !ok2 || pub != h.keys.Publish || sub != h.keys.Subscribe {
		writeFlatError(w, q.now, http.StatusBadRequest, "Publish", "Invalid Key")
		return
	}
	if !ok3 || ch == "" || q.segs[4] != "0" || q.segs[6] != "0" {
		writeFlatError(w, q.now, http.StatusBadRequest, "Publish", "Invalid Arguments")
		return
	}
	if publishSize(q.segs) > maxPublishBytes {
		h.tooLarge(w, q)
		return
	}
	if d := h.authorize(q, []string{ch}, 2); d != nil {
		deny(w, q, d)
		return
	}
	raw, err := url.PathUnescape(strings.Join(q.segs[7:], "/"))
	if err != nil || !json.Valid([]byte(raw)) {
		writeFlatError(w, q.now, http.StatusBadRequest, "Publish", "Invalid JSON")
		return
	}
	tt := h.timetoken(q.now)
	u, _ := q.param("uuid")
	h.store(ch, message{msg: json.RawMessage(raw), timetoken: tt, uuid: u})
	writeBody(w, q.now, http.StatusOK, []byte(`[1,"Sent","`+strconv.FormatInt(tt, 10)+`"]`))
}

// store keeps m as the newest message of channel ch.
func (h *handler) store(ch string, m message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.messages.add(ch, m)
}

// historyItem is one message in a history answer.
type historyItem struct {
	Message   json.RawMessage `json:"message"`
	Timetoken string          `json:"timetoken"`
	UUID      string          `json:"uuid,omitempty"`
}

// historyOK is the body of a history answer.
type historyOK struct {
	Status       int                      `json:"status"`
	Channels     map[string][]historyItem `json:"channels"`
	ErrorMessage string                   `json:"error_message"`
	Error        bool                     `json:"error"`
}

// history answers GET /v3/history/sub-key/{sub}/channel/{channels} (a
// comma-separated list); the token needs read on every channel. It returns
// up to max (default and limit 100) of the most recent messages per
// channel, oldest first, with the publisher's uuid when include_uuid=true.
func (h *handler) history(w http.ResponseWriter, q *request) {
	sub, ok1 := q.seg(4)
	list, ok2 := q.seg(6)
	if !ok1 || sub != h.keys.Subscribe {
		writeFlatError(w, q.now, http.StatusBadRequest, serviceName, "Invalid Subscribe Key")
		return
	}
	var chans []string
	for _, c := range strings.Split(list, ",") {
		if c != "" {
			chans = append(chans, c)
		}
	}
	if !ok2 || len(chans) == 0 || len(chans) > maxHistoryChannels {
		writeFlatError(w, q.now, http.StatusBadRequest, "Storage", "Invalid Arguments")
		return
	}
	if d := h.authorize(q, chans, 1); d != nil {
		deny(w, q, d)
		return
	}
	limit := maxMessagesPerChannel
	if s, ok := q.param("max"); ok {
		if n, err := strconv.Atoi(s); err == nil && n > 0 && n < limit {
			limit = n
		}
	}
	includeUUID, _ := q.param("include_uuid")
	out := historyOK{Status: http.StatusOK, Channels: map[string][]historyItem{}}
	h.mu.Lock()
	for _, ch := range chans {
		if msgs := h.messages.get(ch); msgs != nil {
			out.Channels[ch] = historyItems(msgs, limit, includeUUID == "true")
		}
	}
	h.mu.Unlock()
	writeJSON(w, q.now, http.StatusOK, &out)
}

// historyItems returns the last limit of a channel's messages as history
// answers them.
func historyItems(msgs []message, limit int, withUUID bool) []historyItem {
	if len(msgs) > limit {
		msgs = msgs[len(msgs)-limit:]
	}
	items := make([]historyItem, 0, len(msgs))
	for _, m := range msgs {
		it := historyItem{Message: m.msg, Timetoken: strconv.FormatInt(m.timetoken, 10)}
		if withUUID {
			it.UUID = m.uuid
		}
		items = append(items, it)
	}
	return items
}
