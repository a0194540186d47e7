package pam_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

// A client of your own replaces the default client and its transport
// wholesale: give it an idle pool at least as large as the grants you have
// in flight, or most of them will pay a new connection.
func ExampleWithHTTPClient() {
	emu := pamtest.NewServer()
	defer emu.Close()

	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024, // at least the grants in flight
		IdleConnTimeout:       50 * time.Second,
		TLSHandshakeTimeout:   3 * time.Second,
		ResponseHeaderTimeout: 3 * time.Second,
		TLSClientConfig:       &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(64)},
	}
	defer tr.CloseIdleConnections()
	c, err := pam.New(emu.Keys(), pam.WithOrigin(emu.URL),
		pam.WithHTTPClient(&http.Client{Transport: tr, Timeout: 5 * time.Second}))
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := c.GrantToken(context.Background(), pam.NewTokenRequest(time.Minute).Channel("room-1", pam.Read))
	fmt.Println(token != "", err)
	// Output: true <nil>
}
