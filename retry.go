package pam

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
			return fmt.Errorf("pam: WithRetry: MaxAttempts is %d; use 1 for no retries, or 0 for the default %d", p.MaxAttempts, defaultMaxAttempts)
		case p.MinBackoff < 0:
			return fmt.Errorf("pam: WithRetry: MinBackoff is %s; use a positive duration, or 0 for the default %s", p.MinBackoff, defaultMinBackoff)
		case p.MaxBackoff < 0:
			return fmt.Errorf("pam: WithRetry: MaxBackoff is %s; use a positive duration, or 0 for the default %s", p.MaxBackoff, defaultMaxBackoff)
		case p.MaxBackoff > 0 && p.MinBackoff > p.MaxBackoff:
			return fmt.Errorf("pam: WithRetry: MinBackoff %s is larger than MaxBackoff %s; swap them or raise MaxBackoff", p.MinBackoff, p.MaxBackoff)
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

// isTimestampError reports whether an answer says the request's timestamp
// was outside the service's window ("Invalid timestamp").
func isTimestampError(e *APIError) bool {
	if e.StatusCode != http.StatusBadRequest {
		return false
	}
	const want = "invalid timestamp"
	if strings.Contains(strings.ToLower(e.Message), want) {
		return true
	}
	for _, d := range e.Details {
		if strings.Contains(strings.ToLower(d.Message), want) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(string(e.Body)), want)
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// serverNow is the client's estimate of the service's clock: the local
// clock plus the offset learnt from an "Invalid timestamp" answer. Requests
// are signed with it, and expiry checks may use it.
func (c *Client) serverNow() time.Time {
	return c.now().Add(time.Duration(c.clockOffset.Load()))
}
