package pam_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

// A device attaches its token to the PubNub calls it makes with its own HTTP
// client. The transport reads the token for each request, so a client
// configured once picks up every SetToken.
func ExampleClient_Transport() {
	const token = "p0F2AkF0GmEK8NZDdHRsGDxDcmVzpURjaGFuoENncnCgQ3VzcqBDc3BjoER1dWlkoWV1c2VyMRhoQ3BhdKVEY2hhbqBDZ3JwoEN1c3KgQ3NwY6BEdXVpZKBEbWV0YaBDc2lnWCB6sYaT3ZbNVV6TBxDKGvdOk6TSQRMoRZir4cwoN9-_dA=="

	// A stand-in for PubNub that echoes the query it receives.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.RawQuery)
	}))
	defer srv.Close()

	c, err := pam.New(pam.Keys{Subscribe: "sub-c-demo"}, pam.WithOrigin(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := &http.Client{Transport: c.Transport(nil)} // configured once, before any token
	call := func() {
		resp, err := hc.Get(srv.URL + "/time/0?uuid=device-1")
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(string(b))
	}

	call()
	c.SetToken(token) // e.g. received from the application's server
	call()
	c.SetToken("") // logged out
	call()
	// Output:
	// uuid=device-1
	// uuid=device-1&auth=p0F2AkF0GmEK8NZDdHRsGDxDcmVzpURjaGFuoENncnCgQ3VzcqBDc3BjoER1dWlkoWV1c2VyMRhoQ3BhdKVEY2hhbqBDZ3JwoEN1c3KgQ3NwY6BEdXVpZKBEbWV0YaBDc2lnWCB6sYaT3ZbNVV6TBxDKGvdOk6TSQRMoRZir4cwoN9-_dA%3D%3D
	// uuid=device-1
}

// tokenFunc adapts a function to pam.TokenSource.
type tokenFunc func(ctx context.Context) (string, error)

func (f tokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// A device gets its token from the application's server through a
// TokenSource; ReuseTokenSource asks for a new one only when needed. Here
// the emulator stands in for PubNub and a server client for the
// application's token endpoint.
func ExampleReuseTokenSource() {
	emu := pamtest.NewServer()
	defer emu.Close()
	app := emu.Client() // holds the secret key

	grants := 0
	fromApp := tokenFunc(func(ctx context.Context) (string, error) {
		grants++ // called once at a time: ReuseTokenSource never overlaps calls
		return app.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).
			AuthorizedUUID("device-1").
			Channel("room-1", pam.Write))
	})

	device, err := pam.New(pam.Keys{Subscribe: emu.Keys().Subscribe},
		pam.WithOrigin(emu.URL),
		pam.WithUserID("device-1"),
		pam.WithTokenSource(pam.ReuseTokenSource(fromApp, time.Minute)))
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := &http.Client{Transport: device.Transport(nil)}

	k := emu.Keys()
	for _, msg := range []string{"1", "2", "3"} {
		resp, err := hc.Get(emu.URL + "/publish/" + k.Publish + "/" + k.Subscribe + "/0/room-1/0/" + msg + "?uuid=device-1")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println("publish", msg, resp.Status)
	}
	fmt.Println("grants:", grants)
	// Output:
	// publish 1 200 OK
	// publish 2 200 OK
	// publish 3 200 OK
	// grants: 1
}
