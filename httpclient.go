package pam

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// The default HTTP settings, chosen for a token server: many grants in
// flight to one origin, over TLS, for hours. [WithHTTPClient] replaces all
// of them.
const (
	// defaultTimeout bounds one attempt, from dialling to the end of the
	// answer's body.
	defaultTimeout = 10 * time.Second

	// defaultMaxIdleConnsPerHost is how many idle connections to the
	// origin are kept for reuse. A request that finds none idle opens a new
	// connection (TCP and TLS handshakes: two or three round trips), so the
	// pool must hold as many connections as there are requests in flight;
	// http.DefaultTransport keeps 2, which under concurrency makes almost
	// every request pay a handshake. Over HTTP/2 one connection carries
	// many requests and the pool hardly matters.
	defaultMaxIdleConnsPerHost = 256

	// defaultMaxIdleConns bounds idle connections across all hosts.
	defaultMaxIdleConns = 256

	// defaultDialTimeout bounds the TCP connect: long enough for two
	// retransmitted SYNs, short enough to retry elsewhere soon.
	defaultDialTimeout = 5 * time.Second

	// defaultKeepAlive is the TCP keep-alive probe interval, so that a
	// connection silently dropped by a middlebox is noticed.
	defaultKeepAlive = 30 * time.Second

	// defaultTLSHandshakeTimeout bounds the TLS handshake.
	defaultTLSHandshakeTimeout = 5 * time.Second

	// defaultResponseHeaderTimeout bounds the wait for the answer's headers
	// once the request is sent. Grant and revoke answer in well under a
	// second; an attempt stuck for longer is better retried.
	defaultResponseHeaderTimeout = 5 * time.Second

	// defaultIdleConnTimeout closes a connection idle this long: under the
	// 60 seconds after which load balancers commonly drop idle
	// connections, so that the client, not the server, closes them and a
	// request never races a server-side close.
	defaultIdleConnTimeout = 50 * time.Second

	// defaultTLSSessionCacheSize is how many TLS sessions are kept for
	// resumption, one per origin.
	defaultTLSSessionCacheSize = 64
)

// defaultTransport is the transport every [Client] made without
// [WithHTTPClient] shares, so that many clients do not multiply
// connections. It is pam's own, never http.DefaultTransport, which other
// code in the program may share or reconfigure.
var defaultTransport = sync.OnceValue(newTransport)

// newTransport returns a transport with the default settings.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: defaultDialTimeout, KeepAlive: defaultKeepAlive}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true, // a custom TLS config turns HTTP/2 off unless asked for
		MaxIdleConns:          defaultMaxIdleConns,
		MaxIdleConnsPerHost:   defaultMaxIdleConnsPerHost,
		IdleConnTimeout:       defaultIdleConnTimeout,
		TLSHandshakeTimeout:   defaultTLSHandshakeTimeout,
		ResponseHeaderTimeout: defaultResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(defaultTLSSessionCacheSize),
		},
	}
}

// defaultHTTPClient returns the client used without [WithHTTPClient].
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: defaultTransport(), Timeout: defaultTimeout}
}

// roundTripper returns the transport the client sends its own requests
// with: the default transport, or that of the client given to
// [WithHTTPClient] (http.DefaultTransport when it has none, as net/http
// does).
func (c *Client) roundTripper() http.RoundTripper {
	if c.hc.Transport != nil {
		return c.hc.Transport
	}
	return http.DefaultTransport
}
