package pamtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Server.Messages returns what was published to a channel, in order, with
// its timetoken and uuid; refused publishes are not there, and the result
// is a copy.
func TestServerMessages(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	tok := mustGrant(t, s, grantBody(60, grants{"channels": {"room-1": 2, "room-2": 2}}, nil, nil, ""))
	assert.Nil(t, s.Messages("room-1"), "nothing published yet")

	var tts []int64
	for _, p := range []struct{ ch, msg, uuid, token string }{
		{"room-1", `{"text":"hi"}`, "user-1", tok},
		{"room-2", `"other"`, "user-2", tok},
		{"room-1", `[1,2]`, "", tok},
		{"room-1", `"refused"`, "user-1", ""}, // no token: 403
	} {
		r := publishRaw(t, s, p.ch, p.msg, p.token, p.uuid)
		if p.token == "" {
			require.Equal(t, http.StatusForbidden, r.status)
			continue
		}
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var ans []any
		require.NoError(t, json.Unmarshal(r.body, &ans))
		tt, err := strconv.ParseInt(ans[2].(string), 10, 64)
		require.NoError(t, err)
		tts = append(tts, tt)
	}

	got := s.Messages("room-1")
	assert.Equal(t, []Message{
		{Channel: "room-1", Message: json.RawMessage(`{"text":"hi"}`), Timetoken: tts[0], UUID: "user-1"},
		{Channel: "room-1", Message: json.RawMessage(`[1,2]`), Timetoken: tts[2]},
	}, got)
	assert.Equal(t, []Message{{Channel: "room-2", Message: json.RawMessage(`"other"`), Timetoken: tts[1], UUID: "user-2"}}, s.Messages("room-2"))
	assert.Nil(t, s.Messages("room-3"))

	got[0].Message[2] = 'X'
	got[0].UUID = "changed"
	assert.Equal(t, json.RawMessage(`{"text":"hi"}`), s.Messages("room-1")[0].Message, "a copy")
	assert.Equal(t, "user-1", s.Messages("room-1")[0].UUID)
}

// Messages keeps the bound the emulator keeps: the last 100 per channel.
func TestServerMessagesBounded(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithClock(func() time.Time { return fixedNow }))
	k := h.Keys()
	tok := grantOn(t, h)
	for i := range maxMessagesPerChannel + 5 {
		rec := httptest.NewRecorder()
		q := string(sign.AppendQuery(nil, []sign.Param{{Key: "uuid", Value: "u"}, {Key: "auth", Value: tok}}))
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/publish/"+k.Publish+"/"+k.Subscribe+"/0/room/0/"+strconv.Itoa(i)+"?"+q, nil))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	got := h.Messages("room")
	require.Len(t, got, maxMessagesPerChannel)
	assert.Equal(t, json.RawMessage("5"), got[0].Message, "the oldest go first")
	assert.Equal(t, json.RawMessage(strconv.Itoa(maxMessagesPerChannel+4)), got[len(got)-1].Message)
	for i := 1; i < len(got); i++ {
		assert.Greater(t, got[i].Timetoken, got[i-1].Timetoken)
	}
}

// NewHandler returns a concrete *Handler: its keys need no type assertion.
func TestNewHandlerKeys(t *testing.T) {
	t.Parallel()
	keys := pam.Keys{Subscribe: "sub-c-h", Publish: "pub-c-h", Secret: "sec-c-h"}
	h := NewHandler(WithKeys(keys)) // h.Keys() compiles only on the concrete *Handler
	assert.Equal(t, keys, h.Keys())
	var _ http.Handler = h

	gen := NewHandler().Keys()
	assert.Regexp(t, `^sub-c-`, gen.Subscribe)
	assert.Regexp(t, `^pub-c-`, gen.Publish)
	assert.Regexp(t, `^sec-c-`, gen.Secret)

	ts := httptest.NewServer(h)
	defer ts.Close()
	c, err := pam.New(h.Keys(), pam.WithOrigin(ts.URL))
	require.NoError(t, err)
	_, err = c.GrantToken(t.Context(), pam.NewTokenRequest(time.Minute).Channel("c", pam.Read))
	require.NoError(t, err, "the handler serves its keys")
}

// grantOn grants write on channel "room" through the handler, served for
// the grant only.
func grantOn(t *testing.T, h *Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	c, err := pam.New(h.Keys(), pam.WithOrigin(ts.URL), pam.WithClock(func() time.Time { return fixedNow }))
	require.NoError(t, err)
	tok, err := c.GrantToken(t.Context(), pam.NewTokenRequest(time.Hour).Channel("room", pam.Write))
	require.NoError(t, err)
	return tok
}
