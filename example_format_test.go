package pam_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/pamkit/pam"
)

// Keys print, log and encode with the secret key redacted, also inside
// another struct.
func ExampleKeys_String() {
	keys := pam.Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-1"}
	fmt.Println(keys)
	fmt.Printf("%+v\n", struct {
		Keys pam.Keys
		Port int
	}{keys, 8090})
	b, _ := json.Marshal(keys)
	fmt.Println(string(b))
	// Output:
	// {Subscribe:sub-c-1 Publish:pub-c-1 Secret:[redacted]}
	// {Keys:{Subscribe:sub-c-1 Publish:pub-c-1 Secret:[redacted]} Port:8090}
	// {"Subscribe":"sub-c-1","Publish":"pub-c-1","Secret":"[redacted]"}
}

// A *Client prints and logs its origin, keys and user id, with the secret
// key and the token redacted.
func ExampleClient_String() {
	c, err := pam.New(pam.Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-1"}, pam.WithUserID("server-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	c.SetToken("qEF2AkF0GmEI03xDdHRsGDxDcmVz")
	fmt.Println(c)
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("client ready", "client", c)
	// Output:
	// pam.Client{origin:https://ps.pndsn.com subscribe:sub-c-1 publish:pub-c-1 user:server-1 secret:[redacted] token:[redacted]}
	// level=INFO msg="client ready" client.origin=https://ps.pndsn.com client.subscribe=sub-c-1 client.publish=pub-c-1 client.user=server-1 client.secret=[redacted] client.token=[redacted]
}
