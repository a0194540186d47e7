package pam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

func ExampleNewTokenRequest() {
	req := pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", pam.Read|pam.Write).
		ChannelPattern("^lobby-[a-z0-9]+$", pam.Read).
		UUID("user-1", pam.Get|pam.Update).
		Meta("plan", "pro")
	fmt.Println(req.Validate())
	body, _ := req.MarshalJSON()
	fmt.Println(string(body))
	// Output:
	// <nil>
	// {"ttl":15,"permissions":{"resources":{"channels":{"room-1":3},"groups":{},"uuids":{"user-1":96},"users":{},"spaces":{}},"patterns":{"channels":{"^lobby-[a-z0-9]+$":1},"groups":{},"uuids":{},"users":{},"spaces":{}},"meta":{"plan":"pro"},"uuid":"user-1"}}
}

func ExampleTokenRequest_Validate() {
	req := pam.NewTokenRequest(90*time.Second).
		ChannelGroup("friends", pam.Read|pam.Write).
		Meta("tags", []string{"a", "b"})
	err := req.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, pam.ErrInvalidTTL), errors.Is(err, pam.ErrInvalidPermission), errors.Is(err, pam.ErrInvalidMeta))
	// Output:
	// pam: invalid ttl: 1m30s is not a whole number of minutes from 1m to 720h (43200 minutes); pass e.g. 15*time.Minute
	// pam: invalid permission: channel group "friends" cannot be granted write; channel groups accept read|manage
	// pam: invalid meta: meta "tags": a value of type []string is not a scalar; meta takes strings, booleans, integers, finite floats and nil
	// true true true
}

func ExamplePermission_String() {
	p := pam.Read | pam.Write | pam.Join
	fmt.Println(p)
	fmt.Println(p.Has(pam.Write), p.Has(pam.Manage))
	fmt.Println(pam.ChannelGroup.Allowed())
	// Output:
	// read|write|join
	// true false
	// read|manage
}

// A grant against a stand-in for the service; pamtest offers a full emulator.
func ExampleClient_GrantToken() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=UTF-8")
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"Invalid token","source":"revoke","details":[{"message":"Token is expired.","location":"token","locationType":"path"}]},"service":"Access Manager","status":400}`)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"message":"Success","token":"p0F2AkF0Gl043rhDdHRsCkNyZXOkRGNoYW6hZnNlY3JldAFDZ3JwoEN1c3KgQ3NwY6BDcGF0pERjaGFuoENncnCgQ3VzcqBDc3BjoERtZXRhoENzaWdYIGOAeTyWGLzlrpFaVxOA9ND7ffB-a-f2GJk3UqYdiTp7"},"service":"Access Manager","status":200}`)
	}))
	defer srv.Close()

	c, err := pam.New(pam.Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-1"}, pam.WithOrigin(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := c.GrantToken(context.Background(), pam.NewTokenRequest(time.Hour).Channel("secret", pam.Read))
	fmt.Println(token[:16], err)

	err = c.RevokeToken(context.Background(), token)
	var apiErr *pam.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message, apiErr.Details[0].Message)
	}
	// Output:
	// p0F2AkF0Gl043rhD <nil>
	// 400 Invalid token Token is expired.
}

// A token server hands out the token with its expiry, read from the grant
// itself rather than from a second parse.
func ExampleClient_GrantTokenParsed() {
	issued := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	emu := pamtest.NewServer(pamtest.WithClock(func() time.Time { return issued }))
	defer emu.Close()

	token, parsed, err := emu.Client().GrantTokenParsed(context.Background(),
		pam.NewTokenRequest(15*time.Minute).AuthorizedUUID("user-1").Channel("room-1", pam.Read|pam.Write))
	if err != nil {
		fmt.Println(err)
		return
	}
	reply, _ := json.Marshal(map[string]any{"token": token[:8] + "…", "expires_at": parsed.ExpiresAt()})
	fmt.Println(string(reply))
	fmt.Println(parsed.AuthorizedUUID, parsed.Resources.Channels["room-1"])
	// Output:
	// {"expires_at":"2025-06-01T12:15:00Z","token":"qEF2AkF0…"}
	// user-1 read|write
}
