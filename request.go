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
)

// maxResponseBody bounds how much of a response body is read.
const maxResponseBody = 1 << 20

// do sends one signed request and returns the response body of a 2xx
// answer. Any other answer is an *APIError; transport failures are wrapped
// with the URL redacted. op names the operation in error messages.
func (c *Client) do(ctx context.Context, op, method, path string, body []byte) ([]byte, error) {
	if ctx == nil {
		return nil, fmt.Errorf("pam: %s: nil context; pass context.Background() or a request context", op)
	}
	query := c.signedQuery(method, path, body, c.now().Unix())
	u := &url.URL{Scheme: c.scheme, Host: c.host, Path: path, RawQuery: query}
	if strings.IndexByte(path, '%') >= 0 {
		// The path is sent exactly as signed: RawPath keeps net/url from
		// re-encoding it.
		p, err := url.PathUnescape(path)
		if err != nil {
			return nil, fmt.Errorf("pam: %s: %w", op, err)
		}
		u.Path, u.RawPath = p, path
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "/", rd)
	if err != nil {
		return nil, fmt.Errorf("pam: %s: %w", op, err)
	}
	req.URL, req.Host = u, u.Host
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pam: %s: %w", op, redactURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, fmt.Errorf("pam: %s: reading the response: %w", op, redactURLError(err))
	}
	if len(data) > maxResponseBody {
		return nil, fmt.Errorf("pam: %s: the response body is larger than %d bytes; check the origin points at PubNub", op, maxResponseBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newAPIError(op, resp.StatusCode, data)
	}
	return data, nil
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
