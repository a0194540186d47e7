package pam

import (
	"net/http"
	"strconv"
	"strings"
)

// refuseRedirect is the CheckRedirect of the client's own copy of its HTTP
// client: a signed request is never sent anywhere but the origin, since
// following a redirect would hand its body, its signed URL (as Referer)
// and, on revoke, the whole token to whatever host the answer names. The
// 3xx answer comes back to the client, which reports it.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// redirectError is a 3xx answer to a signed request.
type redirectError struct {
	status int // 0 when not known

	origin string // the client's origin, "scheme://host"
	target string // "scheme://host" the Location names; "" when it names none we can read
	same   bool   // the Location is on the origin itself
}

// Error says that the origin redirected, where to, and what to do. It
// names hosts only: no path, query or signature.
func (e *redirectError) Error() string {
	head := "the origin " + e.origin + " answered with a redirect"
	if e.status != 0 {
		head = "the origin " + e.origin + " answered " + strconv.Itoa(e.status) + " " + http.StatusText(e.status)
	}
	switch {
	case e.target == "":
		return head + ", a redirect without a Location this client can read; signed requests never follow redirects: check that WithOrigin names the service"
	case e.same:
		return head + ", a redirect to another path on the origin; signed requests never follow redirects: check that WithOrigin names the service and not a proxy"
	}
	return head + ", a redirect to " + e.target + "; signed requests never follow redirects: if that is the service, point WithOrigin at " + e.target
}

// newRedirectError describes a 3xx answer to req.
func (c *Client) newRedirectError(resp *http.Response) error {
	e := &redirectError{status: resp.StatusCode, origin: c.origin()}
	loc, err := resp.Location() // resolved against the request's URL
	if err != nil || loc.Host == "" || (loc.Scheme != "http" && loc.Scheme != "https") {
		return e
	}
	e.target = loc.Scheme + "://" + clip(loc.Host, maxQuotedName)
	e.same = c.isOrigin(loc)
	return e
}

// unreadableRedirect returns the redirect error for a failure of
// net/http to parse a Location, which happens before it asks CheckRedirect
// and which only the error's text identifies; nil for any other error.
func (c *Client) unreadableRedirect(err error) error {
	if !strings.Contains(err.Error(), "failed to parse Location header") {
		return nil
	}
	return &redirectError{origin: c.origin()}
}
