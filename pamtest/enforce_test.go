package pamtest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	bodyExpired = `{"error":true,"status":403,"service":"Access Manager","message":"Token is expired."}`
	bodyRevoked = `{"error":true,"status":403,"service":"Access Manager","message":"Token is revoked."}`
	bodyInvalid = `{"error":true,"status":403,"service":"Access Manager","message":"Token is invalid."}`
	bodyUUID    = `{"error":true,"status":403,"service":"Access Manager","message":"Token is not authorized for this uuid."}`
	bodyNoUUID  = `{"error":true,"status":403,"service":"Access Manager","message":"Token is bound to a uuid, but the request's uuid is missing."}`
)

// bodyForbidden is the 403 naming the channels denied.
func bodyForbidden(chans ...string) string {
	b, _ := json.Marshal(chans)
	return `{"message":"Forbidden","payload":{"channels":` + string(b) + `},"error":true,"service":"Access Manager","status":403}`
}

func TestPublishEnforcement(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	tok := mustGrant(t, s, grantBody(60,
		grants{"channels": {"room-1": 3, "room-ro": 1}},
		grants{"channels": {"^room-.*$": 2, "^lobby-[0-9]+$": 1}}, nil, "user-1"))
	anyUUID := mustGrant(t, s, grantBody(60, grants{"channels": {"open": 2}}, nil, nil, ""))
	other := NewServer()
	defer other.Close()
	foreign := mustGrant(t, other, grantBody(60, grants{"channels": {"room-1": 3}}, nil, nil, "user-1"))

	tests := []struct {
		name, ch, token, uuid string
		status                int
		body                  string // "" = success
	}{
		{"exact entry with write", "room-1", tok, "user-1", 200, ""},
		{"pattern grants write", "room-42", tok, "user-1", 200, ""},
		{"exact entry decides over pattern", "room-ro", tok, "user-1", 403, bodyForbidden("room-ro")},
		{"pattern without write", "lobby-7", tok, "user-1", 403, bodyForbidden("lobby-7")},
		{"pattern matches whole name only", "xroom-1", tok, "user-1", 403, bodyForbidden("xroom-1")},
		{"channel not in token", "kitchen", tok, "user-1", 403, bodyForbidden("kitchen")},
		{"no auth", "room-1", "", "user-1", 403, bodyForbidden("room-1")},
		{"uuid mismatch", "room-1", tok, "user-2", 403, bodyUUID},
		{"uuid missing", "room-1", tok, "", 403, bodyNoUUID},
		{"token without uuid, any uuid", "open", anyUUID, "whoever", 200, ""},
		{"malformed token", "room-1", "not-a-token", "user-1", 403, bodyInvalid},
		{"tampered token", "room-1", tamper(tok), "user-1", 403, bodyInvalid},
		{"token of another keyset", "room-1", foreign, "user-1", 403, bodyInvalid},
		{"unpadded token", "room-1", strings.TrimRight(tok, "="), "user-1", 200, ""},
		{"standard base64 token", "room-1", strings.NewReplacer("-", "+", "_", "/").Replace(tok), "user-1", 200, ""},
		{"special channel name", "room-a/b c", tok, "user-1", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := publishRaw(t, s, tc.ch, `{"text":"hi"}`, tc.token, tc.uuid)
			assert.Equal(t, tc.status, r.status, string(r.body))
			assert.Equal(t, "text/javascript; charset=UTF-8", r.header.Get("Content-Type"))
			if tc.body == "" {
				assert.Regexp(t, `^\[1,"Sent","\d{17}"\]$`, string(r.body))
			} else {
				assert.Equal(t, tc.body, string(r.body))
			}
		})
	}
}

// tamper changes the token's issue time without re-signing it.
func tamper(tok string) string {
	b, err := base64.URLEncoding.DecodeString(tok)
	if err != nil {
		panic(err)
	}
	b[10]++ // last byte of "t"
	return base64.URLEncoding.EncodeToString(b)
}

func TestExpiryAndRevocationEnforcement(t *testing.T) {
	t.Parallel()
	clk := newClock(fixedNow)
	s := newTestServer(t, WithClock(clk.Now))
	tok := mustGrant(t, s, grantBody(1, grants{"channels": {"a": 3}}, nil, nil, ""))
	clk.Add(59 * time.Second)
	r := publishRaw(t, s, "a", `1`, tok, "u")
	assert.Equal(t, 200, r.status, string(r.body))
	clk.Add(time.Second) // issued + ttl: expired
	r = publishRaw(t, s, "a", `1`, tok, "u")
	assert.Equal(t, 403, r.status)
	assert.Equal(t, bodyExpired, string(r.body))
	r = historyRaw(t, s, "a", tok, "u")
	assert.Equal(t, bodyExpired, string(r.body))
	// Revoking an expired token is refused.
	r = revokeRaw(t, s, tok, signedOpts{})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, v3(400, "Invalid token", "revoke", "Token is expired.", "token", "path"), string(r.body))

	tok2 := mustGrant(t, s, grantBody(10, grants{"channels": {"a": 3}}, nil, nil, ""))
	r = revokeRaw(t, s, tok2, signedOpts{})
	require.Equal(t, 200, r.status)
	assert.Equal(t, `{"data":{"message":"Success"},"service":"Access Manager","status":200}`, string(r.body))
	for _, rr := range []response{publishRaw(t, s, "a", `1`, tok2, "u"), historyRaw(t, s, "a", tok2, "u")} {
		assert.Equal(t, 403, rr.status)
		assert.Equal(t, bodyRevoked, string(rr.body))
	}
	r = revokeRaw(t, s, tok2, signedOpts{})
	assert.Equal(t, v3(400, "Invalid token", "revoke", "Token is revoked.", "token", "path"), string(r.body))
}

func TestHistory(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	writer := mustGrant(t, s, grantBody(60, grants{"channels": {"a": 2, "b": 2}}, nil, nil, ""))
	reader := mustGrant(t, s, grantBody(60, grants{"channels": {"a": 1}}, grants{"channels": {"^b$": 1}}, nil, "reader"))
	for i, ch := range []string{"a", "b", "a"} {
		r := publishRaw(t, s, ch, `{"n":`+string(rune('0'+i))+`}`, writer, "writer-"+ch)
		require.Equal(t, 200, r.status, string(r.body))
	}
	r := historyRaw(t, s, "a,b", reader, "reader")
	require.Equal(t, 200, r.status, string(r.body))
	var h struct {
		Status   int `json:"status"`
		Channels map[string][]struct {
			Message   json.RawMessage `json:"message"`
			Timetoken string          `json:"timetoken"`
			UUID      string          `json:"uuid"`
		} `json:"channels"`
		Error bool `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.body, &h))
	assert.Equal(t, 200, h.Status)
	assert.False(t, h.Error)
	require.Len(t, h.Channels["a"], 2)
	require.Len(t, h.Channels["b"], 1)
	assert.JSONEq(t, `{"n":0}`, string(h.Channels["a"][0].Message))
	assert.JSONEq(t, `{"n":2}`, string(h.Channels["a"][1].Message))
	assert.Equal(t, "writer-a", h.Channels["a"][0].UUID)
	assert.Less(t, h.Channels["a"][0].Timetoken, h.Channels["a"][1].Timetoken)
	assert.Len(t, h.Channels["a"][0].Timetoken, 17)

	// The writer has no read; the reader only some channels.
	r = historyRaw(t, s, "a,b", writer, "w")
	assert.Equal(t, bodyForbidden("a", "b"), string(r.body))
	r = historyRaw(t, s, "a,c,d", reader, "reader")
	assert.Equal(t, bodyForbidden("c", "d"), string(r.body))
	r = call(t, s, "GET", "/v3/history/sub-key/"+s.Keys().Subscribe+"/channel/a?max=1&uuid=reader&auth="+reader, nil, "")
	require.NoError(t, json.Unmarshal(r.body, &h))
	require.Len(t, h.Channels["a"], 1)
	assert.JSONEq(t, `{"n":2}`, string(h.Channels["a"][0].Message))
	r = call(t, s, "GET", "/v3/history/sub-key/sub-c-nope/channel/a", nil, "")
	assert.Equal(t, 400, r.status)
}

func TestPublishBadRequests(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	k := s.Keys()
	tok := mustGrant(t, s, grantBody(60, grants{"channels": {"a": 2}}, nil, nil, ""))
	for _, tc := range []struct{ path, body string }{
		{"/publish/pub-c-nope/" + k.Subscribe + "/0/a/0/1", `{"error":true,"status":400,"service":"Publish","message":"Invalid Key"}`},
		{"/publish/" + k.Publish + "/sub-c-nope/0/a/0/1", `{"error":true,"status":400,"service":"Publish","message":"Invalid Key"}`},
		{"/publish/" + k.Publish + "/" + k.Subscribe + "/0/a/0/%7Bnot", `{"error":true,"status":400,"service":"Publish","message":"Invalid JSON"}`},
	} {
		r := call(t, s, "GET", tc.path+"?uuid=u&auth="+tok, nil, "")
		assert.Equal(t, 400, r.status, tc.path)
		assert.Equal(t, tc.body, string(r.body), tc.path)
	}
}
