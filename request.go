package pam

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pamkit/pam/internal/sign"
)

// maxResponseBody bounds how much of a response body is read.
const maxResponseBody = 1 << 20

// do sends a request and returns the response body of a 2xx answer. Any
// other answer is an *APIError; transport failures are wrapped with the URL
// redacted. op names the operation in error messages.
//
// Network errors, 429 and 5xx answers are retried as the client's
// [RetryPolicy] says. A 400 "Invalid timestamp" with a plausible Date
// header (within a day of the local clock, and not before 2020) sets the
// client's clock offset from that date and is retried once more, outside
// the policy's count. Every attempt is signed afresh (new timestamp and
// requestid) over the same body.
func (c *Client) do(ctx context.Context, op, method, path string, body []byte) ([]byte, error) {
	data, _, err := c.doRetry(ctx, op, method, path, body)
	return data, err
}

// doRetry is do, and also reports whether an earlier attempt of the call
// may have reached the service and taken effect before it failed (a 5xx
// answer, or a connection lost after the request was sent).
func (c *Client) doRetry(ctx context.Context, op, method, path string, body []byte) (data []byte, maybeApplied bool, err error) {
	if ctx == nil {
		return nil, false, errors.New("nil context; pass context.Background() or a request context")
	}
	retries := 0        // backoff retries made so far
	clockFixed := false // the one clock correction has been made
	for attempt := 1; ; attempt++ {
		r := c.send(ctx, op, method, path, body, attempt)
		if r.err == nil {
			return r.data, maybeApplied, nil
		}
		var apiErr *APIError
		if ctx.Err() != nil && (r.retryable || !errors.As(r.err, &apiErr)) {
			// The context ended the call: a failed send, or an answer
			// that cannot be retried now.
			return nil, maybeApplied, contextError(ctx.Err(), r.err)
		}
		if r.clockSkew && !clockFixed {
			clockFixed = true
			c.learnOffset(ctx, op, r.serverDate, r.localDate)
			continue
		}
		wait, ok := c.retryWait(ctx, &r, retries)
		if !ok {
			return nil, maybeApplied, r.err
		}
		c.logRetry(ctx, op, method, path, attempt, r.err, wait)
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, maybeApplied, contextError(serr, r.err)
		}
		maybeApplied = maybeApplied || r.maybeApplied
		retries++
	}
}

// retryWait returns how long to wait before the retry that follows r, or
// false when the call ends with r's error: r cannot pass on another
// attempt, the policy's attempts are used up, the service asks for a wait
// longer than MaxBackoff, or the wait would outlast ctx's deadline.
func (c *Client) retryWait(ctx context.Context, r *result, retries int) (time.Duration, bool) {
	p := c.retry
	if !r.retryable || retries+1 >= p.MaxAttempts {
		return 0, false
	}
	wait := p.backoff(retries, c.rand())
	if r.hasRetryAfter {
		if r.retryAfter > p.MaxBackoff {
			return 0, false
		}
		wait = max(wait, r.retryAfter)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
		return 0, false
	}
	return wait, true
}

// contextError reports that ctx ended the call, keeping both the context's
// error and the last attempt's error matchable.
func contextError(ctxErr, last error) error {
	if errors.Is(last, ctxErr) {
		return last
	}
	return fmt.Errorf("%w (last attempt: %w)", ctxErr, last)
}

// result is the outcome of one attempt.
type result struct {
	data          []byte
	err           error
	retryable     bool          // the error may pass on another attempt
	maybeApplied  bool          // the service may have acted on the request
	retryAfter    time.Duration // from a Retry-After header
	hasRetryAfter bool
	clockSkew     bool      // a 400 "Invalid timestamp" with a usable Date header
	serverDate    time.Time // the answer's Date, when clockSkew
	localDate     time.Time // the local clock when the answer arrived
}

// send makes one attempt: it signs the request with the service's estimated
// time, sends it, reads the answer through a limit and classifies failures.
func (c *Client) send(ctx context.Context, op, method, path string, body []byte, attempt int) (r result) {
	start := time.Now()
	status := 0
	defer func() { c.logAttempt(ctx, op, method, path, attempt, status, time.Since(start), r.err) }()

	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return result{err: err}
	}
	resp, err := c.hc.Do(req) //nolint:gosec // G704: the URL is the client's own origin (WithOrigin), by design
	if err != nil {
		if rerr := c.unreadableRedirect(err); rerr != nil {
			return result{err: rerr}
		}
		err = c.redactURLError(err)
		return result{err: err, retryable: retryableTransportError(err), maybeApplied: !isDialError(err)}
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return result{err: c.newRedirectError(resp)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		err = c.redactURLError(err)
		return result{err: fmt.Errorf("reading the response: %w", err), retryable: retryableTransportError(err), maybeApplied: true}
	}
	if len(data) > maxResponseBody {
		return result{err: fmt.Errorf("the response body is larger than %d bytes; check the origin points at PubNub", maxResponseBody)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return result{data: data}
	}
	apiErr := newAPIError(resp.StatusCode, data, secretsOf(req.URL.RawQuery, path))
	r = result{err: apiErr, retryable: retryableStatus(resp.StatusCode), maybeApplied: resp.StatusCode >= 500}
	if r.retryable {
		r.retryAfter, r.hasRetryAfter = parseRetryAfter(resp.Header, c.serverNow())
	}
	r.clockSkew, r.serverDate, r.localDate = c.clockSkew(apiErr, resp.Header)
	return r
}

// keyProblems lists the keys the client lacks to sign a request.
func (c *Client) keyProblems() []error {
	var errs []error
	if !c.hasSecret {
		errs = append(errs, fmt.Errorf("%w: Keys.Secret signs the request; only servers should hold it", ErrMissingSecretKey))
	}
	if c.keys.Publish == "" {
		errs = append(errs, fmt.Errorf("%w: Keys.Publish is part of every signature", ErrMissingPublishKey))
	}
	return errs
}

// newRequest builds a request signed now: the path is sent exactly as
// signed, the body (if any) as JSON.
func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	query := c.signedQuery(method, path, body, c.serverNow().Unix())
	u := &url.URL{Scheme: c.scheme, Host: c.host, Path: path, RawQuery: query}
	if strings.IndexByte(path, '%') >= 0 {
		// RawPath keeps net/url from re-encoding the path.
		p, err := url.PathUnescape(path)
		if err != nil {
			return nil, err
		}
		u.Path, u.RawPath = p, path
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "/", rd)
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = u, u.Host
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// pnsdkParam is the pnsdk parameter, "PubNub-Go-pam/<version>", encoded.
const pnsdkParam = "pnsdk=PubNub-Go-pam%2F" + version

// signedQuery returns the query string for a request to path with the given
// method and body: pnsdk, requestid, timestamp and uuid in canonical
// (sorted) order, followed by the v2 signature over exactly those bytes, the
// path and the body. It is written into one stack buffer, signed with the
// client's pooled HMAC (see [sign.Signer]), and copied out once as the
// returned string.
func (c *Client) signedQuery(method, path string, body []byte, unix int64) string {
	var stack [512]byte
	b := append(stack[:0], pnsdkParam...)
	b = append(b, "&requestid="...)
	b = appendRequestID(b)
	b = append(b, "&timestamp="...)
	b = strconv.AppendInt(b, unix, 10)
	b = append(b, "&uuid="...)
	b = sign.AppendEncode(b, c.userID)
	canonical := b
	b = append(b, "&signature="...)
	b = c.signer.AppendV2(b, method, c.keys.Publish, path, canonical, body)
	return string(b)
}

// appendRequestID appends a random (version 4) UUID in its 36-character
// form, as uuid.NewString would return it, without allocating.
func appendRequestID(b []byte) []byte {
	var u [16]byte
	_, _ = rand.Read(u[:])  // never fails: crypto/rand crashes the program instead
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}

// escapePathSegment escapes s for use as one path segment: only
// A-Z a-z 0-9 - _ . stay literal, everything else is %XX (space is %20).
func escapePathSegment(s string) string { return sign.Encode(s) }

// Retry defaults, used for the fields of a [RetryPolicy] left zero.
const (
	defaultMaxAttempts = 3
	defaultMinBackoff  = 100 * time.Millisecond
	defaultMaxBackoff  = 5 * time.Second
)

// RetryPolicy says how a [Client] retries grant and revoke requests that
// failed in a way that may pass: a network error (connection refused or
// reset, EOF, a timeout of the HTTP client), a 429 or a 5xx answer. Other
// answers, and failures caused by the request's context, are returned at
// once.
//
// Between attempts the client waits a random duration in
// [0, min(MaxBackoff, MinBackoff·2ⁿ)) before retry n+1 ("full jitter"). When
// the answer carries a Retry-After header (seconds or an HTTP date), the
// wait is at least that long; a Retry-After longer than MaxBackoff ends the
// retries and the answer is returned. No wait runs past the context's
// deadline: when the next wait would end after it, the last error is
// returned at once.
//
// Zero fields take the defaults: 3 attempts, 100 ms, 5 s (or MinBackoff,
// if that is larger). MaxAttempts 1 turns retries off. Pass a policy with
// [WithRetry].
type RetryPolicy struct {
	// MaxAttempts is the most attempts one call makes, the first included.
	MaxAttempts int
	// MinBackoff is the ceiling of the first wait; it doubles for each
	// further retry.
	MinBackoff time.Duration
	// MaxBackoff bounds every wait, and is the longest Retry-After the
	// client is willing to honour.
	MaxBackoff time.Duration
}

// WithRetry sets the retry policy. Negative fields, and a MinBackoff larger
// than MaxBackoff, are errors; zero fields take the defaults documented on
// [RetryPolicy]. Without this option a client uses the defaults.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		switch {
		case p.MaxAttempts < 0:
			return optionError("WithRetry", "MaxAttempts is %d; use 1 for no retries, or 0 for the default %d", p.MaxAttempts, defaultMaxAttempts)
		case p.MinBackoff < 0:
			return optionError("WithRetry", "MinBackoff is %s; use a positive duration, or 0 for the default %s", p.MinBackoff, defaultMinBackoff)
		case p.MaxBackoff < 0:
			return optionError("WithRetry", "MaxBackoff is %s; use a positive duration, or 0 for the default %s", p.MaxBackoff, defaultMaxBackoff)
		case p.MaxBackoff > 0 && p.MinBackoff > p.MaxBackoff:
			return optionError("WithRetry", "MinBackoff %s is larger than MaxBackoff %s; swap them or raise MaxBackoff", p.MinBackoff, p.MaxBackoff)
		}
		o.retry = p.withDefaults()
		return nil
	}
}

// withDefaults fills the zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	if p.MinBackoff == 0 {
		p.MinBackoff = defaultMinBackoff
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = max(defaultMaxBackoff, p.MinBackoff)
	}
	return p
}

// backoff returns the full-jitter wait before retry n (n = 0 for the first
// retry): r·min(MaxBackoff, MinBackoff·2ⁿ), r in [0, 1).
func (p RetryPolicy) backoff(n int, r float64) time.Duration {
	ceiling := p.MaxBackoff
	if n < 62 && p.MinBackoff <= p.MaxBackoff>>n {
		ceiling = p.MinBackoff << n
	}
	return time.Duration(r * float64(ceiling))
}

// retryableStatus reports whether an answer with this status may succeed if
// the request is sent again.
func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status <= 599)
}

// retryableTransportError reports whether a failure to send a request or
// read its answer may pass. Failures that will not (a certificate the
// client does not trust, a TLS handshake with a plain-HTTP server, a host
// that does not exist) are not retried. The caller has checked that the
// request's context is still live.
func retryableTransportError(err error) bool {
	var (
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		dnsErr     *net.DNSError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr):
		return false
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false
	}
	return true
}

// isDialError reports whether a request failed while connecting, before
// anything was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// parseRetryAfter reads a Retry-After header: a number of seconds or an
// HTTP date, which is measured from the answer's Date header when it has
// one (so that a skewed local clock does not matter), else from now. It
// returns false when the header is absent or unreadable.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if date, derr := http.ParseTime(h.Get("Date")); derr == nil {
		now = date
	}
	return max(at.Sub(now), 0), true
}
