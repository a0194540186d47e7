// Package pam is a client for PubNub Access Manager v3.
//
// Servers use it to mint time-limited tokens with embedded permissions
// ([Client.GrantToken]) and to take them back ([Client.RevokeToken]).
// Anyone can decode a token offline with [ParseToken] and ask whether it
// allows an operation, and why not, with [Token.Authorize]. Clients attach
// their token to PubNub API calls with [Client.SetToken] and
// [Client.Transport].
//
// A grant is described by a [TokenRequest], a pure value that is validated
// before anything is sent:
//
//	c, err := pam.New(pam.Keys{Subscribe: sub, Publish: pub, Secret: sec})
//	if err != nil { … }
//	req := pam.NewTokenRequest(15*time.Minute).
//		AuthorizedUUID("user-1").
//		Channel("room-1", pam.Read|pam.Write).
//		ChannelPattern("^lobby-.*$", pam.Read)
//	token, err := c.GrantToken(ctx, req)
//
// Requests are signed with the v2 signature the service expects; the secret
// key, signatures and whole tokens never appear in errors or logs. Network
// errors, 429s and 5xx answers are retried with backoff ([WithRetry]), a
// drifting clock is corrected from the service's Date header, and each
// attempt can be logged ([WithLogger]).
//
// Clients that refresh their token get it from a [TokenSource], wrapped in
// [ReuseTokenSource] so that it is asked only near expiry, once however many
// requests are waiting.
//
// Servers that hand tokens to devices put a [GrantCache] in front of the
// client (identical grants share one token and one call to the service) and
// serve them with [TokenHandler]; devices fetch them with [HTTPTokenSource].
//
// Without [WithHTTPClient], requests go through pam's own transport (never
// http.DefaultTransport), shared by all clients and built for many requests
// in flight to one origin: up to 256 idle connections kept for reuse
// (http.DefaultTransport keeps 2 per host, so under concurrency most
// requests would pay a new TCP and TLS handshake), HTTP/2 when the origin
// offers it, TLS session resumption, 5 seconds at most for the TCP connect,
// for the TLS handshake and for the answer's headers, idle connections
// closed after 50 seconds, the proxy from the environment (HTTPS_PROXY),
// and 10 seconds at most for each attempt. To change any of this pass a
// client of your own; it replaces the default wholesale, so give its
// transport an idle pool as large as your concurrency:
//
//	tr := &http.Transport{MaxIdleConnsPerHost: 512, ForceAttemptHTTP2: true}
//	c, err := pam.New(keys, pam.WithHTTPClient(&http.Client{Transport: tr, Timeout: 5 * time.Second}))
//
// The pamtest package is a local Access Manager emulator for tests, and the
// pam command (cmd/pam) parses, checks, grants and revokes tokens from a
// shell.
//
// The source has one concept per file, in the order a grant flows through
// them: pam.go, tokenrequest.go, validate.go, lint.go, body.go, grant.go,
// revoke.go, request.go (sign, send, classify, retry) and clock.go; then
// token.go, authorize.go, permissions.go, errors.go, transport.go,
// tokensource.go, log.go and httpclient.go (the default HTTP client); and
// token vending: grantcache.go (with
// grantcache_flight.go and ratelimit.go) and tokenhandler.go.
package pam

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/pamkit/pam/internal/sign"
)

// version is this module's version, sent in the pnsdk query parameter.
const version = "0.1.0"

// defaultOrigin is the service's host.
const defaultOrigin = "ps.pndsn.com"

// maxUserIDLen is the longest uuid the service accepts.
const maxUserIDLen = 92

// Keys is a PubNub keyset. Grant and revoke need all three; a client that
// only attaches tokens to its calls needs only Subscribe.
//
// A Keys value prints, logs and encodes to JSON with the secret key
// redacted (see [Keys.Format], [Keys.LogValue], [Keys.MarshalJSON]), also
// when embedded in another struct or held in an exported field. Three
// things bypass those methods, since Secret is a plain field: fmt's %p
// verb on a Keys value (go vet reports it), fmt printing a struct that
// holds a Keys in an unexported field, and encoding/json marshalling a
// struct that embeds Keys beside another embedded type with a MarshalJSON
// method (the two cancel out and Keys' fields are inlined). Keep such
// structs out of logs and JSON.
type Keys struct {
	Subscribe string
	Publish   string
	Secret    string
}

// Client talks to Access Manager. It is safe for concurrent use; create one
// and reuse it. A *Client prints, logs and encodes to JSON with its secret
// key and token redacted.
type Client struct {
	keys      Keys // Secret left empty: only the signer holds it
	hasSecret bool
	userID    string
	scheme    string // "https" or "http"
	host      string // host[:port]
	hc        *http.Client
	now       func() time.Time
	tokenMu   sync.RWMutex // guards token
	token     *string      // nil for none; a pointer, so that fmt never prints it from a copied Client

	retry       RetryPolicy
	logger      *slog.Logger                                     // nil: no logging
	clockOffset atomic.Int64                                     // service clock minus local clock, in nanoseconds
	rand        func() float64                                   // in [0, 1), for backoff jitter; tests replace it
	sleep       func(ctx context.Context, d time.Duration) error // waits between attempts; tests replace it
	src         *sourceState                                     // WithTokenSource; nil without one
	signer      *sign.Signer                                     // signs with keys.Secret, reusing HMAC states

	offOriginWarned atomic.Bool // the transport has warned of a PubNub call off the origin
}

// options collects what the Option functions set.
type options struct {
	userID string
	scheme string
	host   string
	hc     *http.Client
	now    func() time.Time
	retry  RetryPolicy
	logger *slog.Logger
	ts     TokenSource
}

// Option configures a [Client]. Options validate their arguments: [New]
// returns the first error.
type Option func(*options) error

// WithUserID sets the uuid sent with every request (the uuid= query
// parameter). The default is "pam-" followed by a random UUID.
func WithUserID(id string) Option {
	return func(o *options) error {
		if id == "" {
			return optionError("WithUserID", "the user id is empty; pass a non-empty id or leave the option out")
		}
		if len(id) > maxUserIDLen {
			return optionError("WithUserID", "the user id is %d bytes long; the service accepts at most %d", len(id), maxUserIDLen)
		}
		o.userID = id
		return nil
	}
}

// WithOrigin sets the service's address: a host name ("ps.pndsn.com", the
// default, reached over https), a "host:port", or a full URL with scheme,
// such as "http://127.0.0.1:8090". An address without a scheme is https.
//
// Its scheme and host are the client's origin, the only place
// [Client.Transport] sends the token: a request is to the origin when its
// URL has the same scheme and the same host and port, compared without
// regard to case and with the scheme's default port (443 for https, 80 for
// http) implied. Names are not resolved, so "localhost" and "127.0.0.1" are
// different origins, and WithOrigin("127.0.0.1:8090") (https) does not match
// requests to http://127.0.0.1:8090: write WithOrigin("http://127.0.0.1:8090").
func WithOrigin(origin string) Option {
	return func(o *options) error {
		scheme, host, err := parseOrigin(origin)
		if err != nil {
			return err
		}
		o.scheme, o.host = scheme, host
		return nil
	}
}

// parseOrigin splits an origin into scheme and host.
func parseOrigin(origin string) (scheme, host string, err error) {
	bad := func(why string) error {
		return optionError("WithOrigin", "%q %s; use a host such as \"ps.pndsn.com\", \"host:port\" or \"http://127.0.0.1:8090\"", origin, why)
	}
	if strings.TrimSpace(origin) == "" {
		return "", "", bad("is empty")
	}
	s := origin
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", bad("is not a valid address")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", bad("has a scheme other than http or https")
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", bad("must be only a scheme and a host")
	}
	return u.Scheme, u.Host, nil
}

// WithHTTPClient sets the HTTP client requests are sent with. The client is
// copied; nil is an error. It replaces the default client and its
// transport (see the package doc) wholesale.
//
// Grant and revoke requests never follow redirects, whatever the client's
// CheckRedirect says: the copy refuses them (the caller's client is left as
// it is), and a 3xx answer is an error naming the host it points at.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return optionError("WithHTTPClient", "the client is nil; pass an *http.Client or leave the option out")
		}
		c := *hc
		o.hc = &c
		return nil
	}
}

// WithClock sets the clock used for request timestamps and token expiry
// checks. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return optionError("WithClock", "the clock is nil; pass a func() time.Time or leave the option out")
		}
		o.now = now
		return nil
	}
}

// New returns a client for the keyset. Keys.Subscribe is required; grant
// and revoke also need Publish and Secret, which they check before sending.
func New(keys Keys, opts ...Option) (*Client, error) {
	if keys.Subscribe == "" {
		return nil, optionError("New", "the subscribe key is empty; pass the keyset's subscribe key in Keys.Subscribe")
	}
	o := options{scheme: "https", host: defaultOrigin, now: time.Now, retry: RetryPolicy{}.withDefaults()}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.userID == "" {
		o.userID = "pam-" + uuid.NewString()
	}
	if o.hc == nil {
		o.hc = defaultHTTPClient()
	}
	// o.hc is the client's own copy: the caller's client keeps its policy.
	o.hc.CheckRedirect = refuseRedirect
	signer := sign.NewSigner(keys.Secret)
	hasSecret := keys.Secret != ""
	keys.Secret = ""
	return &Client{
		keys:      keys,
		hasSecret: hasSecret,
		userID:    o.userID,
		scheme:    o.scheme,
		host:      o.host,
		hc:        o.hc,
		now:       o.now,
		retry:     o.retry,
		logger:    o.logger,
		rand:      rand.Float64,
		sleep:     sleepContext,
		src:       newSourceState(o.ts),
		signer:    signer,
	}, nil
}

// UserID returns the uuid the client sends with its requests.
func (c *Client) UserID() string { return c.userID }
