package pam_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pamkit/pam"
)

// contractToken is tok01, the token PubNub's SDK contract tests share.
const contractToken = "qEF2AkF0GmEI03xDdHRsGDxDcmVzpURjaGFuoWljaGFubmVsLTEY70NncnChb2NoYW5uZWxfZ3JvdXAtMQVDdXNyoENzcGOgRHV1aWShZnV1aWQtMRhoQ3BhdKVEY2hhbqFtXmNoYW5uZWwtXFMqJBjvQ2dycKF0XjpjaGFubmVsX2dyb3VwLVxTKiQFQ3VzcqBDc3BjoER1dWlkoWpedXVpZC1cUyokGGhEbWV0YaBEdXVpZHR0ZXN0LWF1dGhvcml6ZWQtdXVpZENzaWdYIPpU-vCe9rkpYs87YUrFNWkyNq8CVvmKwEjVinnDrJJc"

func ExampleParseToken() {
	tok, err := pam.ParseToken(contractToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("authorized uuid:", tok.AuthorizedUUID)
	fmt.Println("issued:", tok.IssuedAt.Format(time.RFC3339), "for", tok.TTL)
	fmt.Println("expires:", tok.ExpiresAt().Format(time.RFC3339))
	fmt.Println("channel-1:", tok.Resources.Channels["channel-1"])
	fmt.Println("groups:", tok.Resources.ChannelGroups)
	fmt.Println("channel patterns:", tok.Patterns.Channels)

	_, err = pam.ParseToken("qEF2AkF0GmEI03xDdHRs")
	fmt.Println(errors.Is(err, pam.ErrMalformedToken), err)
	// Output:
	// authorized uuid: test-authorized-uuid
	// issued: 2021-08-03T05:26:20Z for 1h0m0s
	// expires: 2021-08-03T06:26:20Z
	// channel-1: read|write|manage|delete|get|update|join
	// groups: map[channel_group-1:read|manage]
	// channel patterns: map[^channel-\S*$:read|write|manage|delete|get|update|join]
	// true pam: malformed token: cbor: map of 8 pairs is longer than the data (at byte 0)
}

func ExampleToken_Authorize() {
	tok, _ := pam.ParseToken(contractToken)
	at := tok.IssuedAt.Add(10 * time.Minute) // the token expired in 2021

	check := func(a pam.Access) {
		a.At = at
		if err := tok.Authorize(a); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(tok.Explain(a))
	}
	check(pam.Access{Type: pam.Channel, Name: "channel-1", Permission: pam.Write, UUID: "test-authorized-uuid"})
	check(pam.Access{Type: pam.Channel, Name: "channel-42", Permission: pam.Write, UUID: "test-authorized-uuid"})
	check(pam.Access{Type: pam.ChannelGroup, Name: "channel_group-1", Permission: pam.Read | pam.Write, UUID: "test-authorized-uuid"})
	check(pam.Access{Type: pam.UUID, Name: "uuid 7", Permission: pam.Get, UUID: "test-authorized-uuid"})
	check(pam.Access{Type: pam.Channel, Name: "channel-1", Permission: pam.Write, UUID: "someone-else"})

	err := tok.Authorize(pam.Access{Type: pam.Channel, Name: "channel-1", Permission: pam.Read,
		UUID: "test-authorized-uuid", At: tok.IssuedAt.Add(3 * time.Hour)})
	fmt.Println(errors.Is(err, pam.ErrTokenExpired), errors.Is(err, pam.ErrPermissionDenied), err)
	// Output:
	// allowed: channel "channel-1" has an exact entry granting read|write|manage|delete|get|update|join
	// allowed: channel "channel-42" matches pattern "^channel-\\S*$", which grants read|write|manage|delete|get|update|join
	// pam: channel group "channel_group-1" grants read|manage but not write; note that channel groups take only read|manage, never write
	// pam: no entry or pattern in the token matches uuid "uuid 7" (nearest: pattern "^uuid-\\S*$" grants delete|get|update, uuid "uuid-1" grants delete|get|update); grant get on "uuid 7"
	// pam: token is bound to uuid "test-authorized-uuid", not "someone-else"; use it only from a client with uuid "test-authorized-uuid", or grant a token authorized for "someone-else"
	// true true pam: token expired 2h0m ago, at 2021-08-03T06:26:20Z (it was issued at 2021-08-03T05:26:20Z for 60 minutes); request a new token
}

func ExampleTokenRequest_Lint() {
	req := pam.NewTokenRequest(15*time.Minute).
		Channel("room-*", pam.Read).
		ChannelPattern("^lobby-(a|b)$", pam.Read).
		UUIDPattern("^bot-.*$", pam.Get)
	for _, w := range req.Lint() {
		fmt.Println(w)
	}
	// Output:
	// no-authorized-uuid: the token is not bound to a uuid, so anyone who obtains it can use it; call AuthorizedUUID with the uuid of the client that will use it
	// regexp-in-name: channel "room-*" is an exact name but contains a regular expression metacharacter; exact names match literally, so this grants only the channel named "room-*"; to grant every matching channel use ChannelPattern("^room-.*$")
	// capturing-group: channel pattern "^lobby-(a|b)$" has a capturing group, which the service rejects ("Only non-capturing groups are allowed"); write (?: instead of (
}

func ExampleToken_Explain() {
	tok, _ := pam.ParseToken(contractToken)
	at := tok.IssuedAt.Add(time.Minute)
	fmt.Println(tok.Explain(pam.Access{Type: pam.Channel, Name: "channel-42", Permission: pam.Write, UUID: "test-authorized-uuid", At: at}))
	fmt.Println(tok.Explain(pam.Access{Type: pam.UUID, Name: "uuid-1", Permission: pam.Get, UUID: "test-authorized-uuid", At: at}))
	// Output:
	// allowed: channel "channel-42" matches pattern "^channel-\\S*$", which grants read|write|manage|delete|get|update|join
	// allowed: uuid "uuid-1" has an exact entry granting delete|get|update
}

func ExampleToken_MarshalJSON() {
	tok, _ := pam.ParseToken(contractToken)
	b, _ := json.Marshal(tok)
	head, _, _ := strings.Cut(string(b), `"resources"`)
	fmt.Println(head)
	group, _ := json.Marshal(tok.Resources.ChannelGroups["channel_group-1"])
	fmt.Println(string(group))
	// Output:
	// {"version":2,"timestamp":1627968380,"ttl":60,"expires_at":"2021-08-03T06:26:20Z","authorized_uuid":"test-authorized-uuid",
	// {"read":true,"write":false,"manage":true,"delete":false,"get":false,"update":false,"join":false}
}
