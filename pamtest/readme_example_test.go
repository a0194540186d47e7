// This file is the README's pamtest snippet, word for word after the
// package clause (TestReadmeSnippet keeps them the same), so that the
// snippet compiles and passes with the standard library alone.

package pamtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

func TestChatServerGrants(t *testing.T) {
	s := pamtest.NewServer() // 127.0.0.1, random port, generated keys
	t.Cleanup(s.Close)

	c := s.Client() // a *pam.Client with s.Keys(), pointed at s.URL
	token, err := c.GrantToken(t.Context(), pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", pam.Read|pam.Write).
		ChannelPattern("^lobby-[a-z0-9]+$", pam.Read))
	if err != nil {
		t.Fatal(err)
	}

	tok, err := pam.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-1", Permission: pam.Write, UUID: "user-1"}); err != nil {
		t.Fatal(err)
	}

	// Any HTTP client can use the token against the emulator, as it would
	// against PubNub: auth=<token>&uuid=<uuid>.
	publish := func(channel string) int {
		u := s.URL + "/publish/" + s.Keys().Publish + "/" + s.Keys().Subscribe +
			"/0/" + channel + "/0/%22hi%22?" + url.Values{"auth": {token}, "uuid": {"user-1"}}.Encode()
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := publish("room-1"); got != http.StatusOK {
		t.Fatalf("publish to room-1: %d", got)
	}
	if got := publish("room-2"); got != http.StatusForbidden { // room-2 is not in the token
		t.Fatalf("publish to room-2: %d, want 403", got)
	}
	if msgs := s.Messages("room-1"); len(msgs) != 1 || string(msgs[0].Message) != `"hi"` {
		t.Fatalf("room-1 holds %v", msgs)
	}

	if err := c.RevokeToken(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	var apiErr *pam.APIError
	if err := c.RevokeToken(t.Context(), token); !errors.As(err, &apiErr) { // 400 Invalid token: Token is revoked.
		t.Fatalf("second revoke: %v", err)
	}
}
