package pam_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/pamkit/pam"
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
