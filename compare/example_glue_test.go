package compare

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	pubnub "github.com/pubnub/go/v7"
)

// The official Go SDK publishes with a token pam manages: give the SDK HTTP
// clients whose transport is a pam client's. The pam client gets the token
// from the application's server (here a TokenSource granting on the
// emulator), attaches it and the device's uuid to every call to its origin,
// and, when the service says the token is expired or revoked, fetches a new
// one and retries the call once. The SDK sees only the final answer.
func Example_officialSDK() {
	emu := pamtest.NewServer() // stands in for PubNub
	defer emu.Close()
	app := emu.Client() // the application's server: it holds the secret key
	keys := emu.Keys()

	var grants atomic.Int32
	fromApp := tokenFunc(func(ctx context.Context) (string, error) {
		n := grants.Add(1)
		return app.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).
			AuthorizedUUID("device-1").
			Channel("room-1", pam.Write).
			Meta("grant", n)) // the same grant in the same second is the same token
	})

	// The device: pam manages its token...
	device, err := pam.New(pam.Keys{Subscribe: keys.Subscribe},
		pam.WithOrigin(emu.URL), // the SDK's origin: the same scheme, host and port
		pam.WithUserID("device-1"),
		pam.WithTokenSource(pam.ReuseTokenSource(fromApp, time.Minute)))
	if err != nil {
		fmt.Println(err)
		return
	}

	// ...and the official SDK sends through it.
	cfg := pubnub.NewConfigWithUserId(pubnub.UserId("device-1"))
	cfg.SubscribeKey, cfg.PublishKey = keys.Subscribe, keys.Publish
	cfg.Origin, cfg.Secure = strings.TrimPrefix(emu.URL, "http://"), false
	pn := pubnub.NewPubNub(cfg)
	defer pn.Destroy()
	pn.SetClient(&http.Client{Transport: device.Transport(nil), Timeout: 10 * time.Second})
	pn.SetSubscribeClient(&http.Client{Transport: device.Transport(nil)}) // long polls: no timeout

	publish := func(msg string) {
		_, status, err := pn.Publish().Channel("room-1").Message(msg).Execute()
		fmt.Println("publish", msg, status.StatusCode, err)
	}
	publish("hello")
	_ = app.RevokeToken(context.Background(), device.Token()) // say, the user logged out elsewhere
	publish("again")
	fmt.Println("grants:", grants.Load())
	for _, m := range emu.Messages("room-1") {
		fmt.Println(string(m.Message), "from", m.UUID)
	}
	// Output:
	// publish hello 200 <nil>
	// publish again 200 <nil>
	// grants: 2
	// "hello" from device-1
	// "again" from device-1
}
