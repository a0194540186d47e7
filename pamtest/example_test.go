package pamtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

// ExampleNewServer grants a token from the emulator and parses it.
func ExampleNewServer() {
	issued := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := pamtest.NewServer(pamtest.WithClock(func() time.Time { return issued }))
	defer s.Close()

	token, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", pam.Read|pam.Write).
		ChannelPattern("^lobby-[0-9]+$", pam.Read))
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := pam.ParseToken(token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(token[:8])
	fmt.Println(tok.AuthorizedUUID, tok.IssuedAt.UTC().Format(time.RFC3339), tok.TTL)
	fmt.Println("room-1:", tok.Resources.Channels["room-1"])
	fmt.Println("^lobby-[0-9]+$:", tok.Patterns.Channels["^lobby-[0-9]+$"])
	fmt.Println(tok.Authorize(pam.Access{Type: pam.Channel, Name: "lobby-7", Permission: pam.Read, UUID: "user-1", At: issued}))
	// Output:
	// qEF2AkF0
	// user-1 2025-06-01T12:00:00Z 15m0s
	// room-1: read|write
	// ^lobby-[0-9]+$: read
	// <nil>
}

// A test reads what its code published, without a token or history.
func ExampleServer_Messages() {
	s := pamtest.NewServer()
	defer s.Close()
	token, err := s.Client().GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("room-1", pam.Write))
	if err != nil {
		fmt.Println(err)
		return
	}

	// The code under test publishes, here with a plain HTTP GET.
	k := s.Keys()
	resp, err := http.Get(s.URL + "/publish/" + k.Publish + "/" + k.Subscribe + "/0/room-1/0/%7B%22text%22%3A%22hi%22%7D?uuid=user-1&auth=" + url.QueryEscape(token))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	for _, m := range s.Messages("room-1") {
		fmt.Println(m.Channel, string(m.Message), m.UUID)
	}
	// Output:
	// room-1 {"text":"hi"} user-1
}
