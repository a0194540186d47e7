package pam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBody bounds how much of a response body is read.
const maxResponseBody = 1 << 20

// do sends a request and returns the response body of a 2xx answer. Any
// other answer is an *APIError; transport failures are wrapped with the URL
// redacted. op names the operation in error messages.
//
// Network errors, 429 and 5xx answers are retried as the client's
// [RetryPolicy] says. A 400 "Invalid timestamp" with a Date header sets the
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
		return nil, false, fmt.Errorf("pam: %s: nil context; pass context.Background() or a request context", op)
	}
	p := c.retry
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
			return nil, maybeApplied, contextError(op, ctx.Err(), r.err)
		}
		if r.clockSkew && !clockFixed {
			clockFixed = true
			offset := r.serverDate.Sub(r.localDate)
			c.clockOffset.Store(int64(offset))
			c.logClock(ctx, op, offset)
			continue
		}
		if !r.retryable || retries+1 >= p.MaxAttempts {
			return nil, maybeApplied, r.err
		}
		wait := p.backoff(retries, c.rand())
		if r.hasRetryAfter {
			if r.retryAfter > p.MaxBackoff {
				return nil, maybeApplied, r.err
			}
			wait = max(wait, r.retryAfter)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return nil, maybeApplied, r.err
		}
		c.logRetry(ctx, op, method, path, attempt, r.err, wait)
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, maybeApplied, contextError(op, serr, r.err)
		}
		maybeApplied = maybeApplied || r.maybeApplied
		retries++
	}
}

// contextError reports that ctx ended the call, keeping both the context's
// error and the last attempt's error matchable.
func contextError(op string, ctxErr, last error) error {
	if errors.Is(last, ctxErr) {
		return last
	}
	return fmt.Errorf("pam: %s: %w (last attempt: %w)", op, ctxErr, last)
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
		return result{err: fmt.Errorf("pam: %s: %w", op, err)}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		err = redactURLError(err)
		return result{err: fmt.Errorf("pam: %s: %w", op, err), retryable: retryableTransportError(err), maybeApplied: !isDialError(err)}
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		err = redactURLError(err)
		return result{err: fmt.Errorf("pam: %s: reading the response: %w", op, err), retryable: retryableTransportError(err), maybeApplied: true}
	}
	if len(data) > maxResponseBody {
		return result{err: fmt.Errorf("pam: %s: the response body is larger than %d bytes; check the origin points at PubNub", op, maxResponseBody)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return result{data: data}
	}
	apiErr := newAPIError(op, resp.StatusCode, data)
	r = result{err: apiErr, retryable: retryableStatus(resp.StatusCode), maybeApplied: resp.StatusCode >= 500}
	if r.retryable {
		r.retryAfter, r.hasRetryAfter = parseRetryAfter(resp.Header, c.serverNow())
	}
	if isTimestampError(apiErr) {
		if date, derr := http.ParseTime(resp.Header.Get("Date")); derr == nil {
			r.clockSkew, r.serverDate, r.localDate = true, date, c.now()
		}
	}
	return r
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

// redactURLError replaces the URL inside a *url.Error with one that has no
// query (no signature, no auth) and at most the first 8 characters of a token
// in the path, keeping the wrapped cause for errors.Is.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return &url.Error{Op: ue.Op, URL: "(unparsable url)", Err: ue.Err}
	}
	return &url.Error{Op: ue.Op, URL: u.Scheme + "://" + u.Host + redactPath(u.EscapedPath()), Err: ue.Err}
}

// redactPath cuts a token in a revoke path ("/v3/pam/{sub}/grant/{token}")
// to its first 8 characters.
func redactPath(p string) string {
	const marker = "/grant/"
	i := strings.Index(p, marker)
	if i < 0 {
		return p
	}
	tok := p[i+len(marker):]
	if len(tok) <= 8 {
		return p
	}
	return p[:i+len(marker)] + tok[:8] + "..."
}
