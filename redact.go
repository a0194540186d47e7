package pam

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// What one error message or log record may hold, whatever the input: names
// and server text are cut with an ellipsis, lists to their first entries
// and a count of the rest.
const (
	maxQuotedName   = 64   // bytes of a resource name, meta key or uuid in a message
	maxServiceText  = 512  // bytes of the service's top-level message
	maxDetailText   = 200  // bytes of one detail's message or location
	maxShortText    = 64   // bytes of the service's name, source or location type
	maxKeptDetails  = 50   // details and named resources an APIError keeps
	maxShownDetails = 10   // of those, how many its message shows
	maxShownBody    = 256  // bytes of an unreadable body its message shows
	maxProblems     = 10   // problems one Validate or GrantToken error lists
	maxLoggedError  = 2048 // bytes of an error in a log record
)

// clip returns s cut to at most n bytes, at a rune boundary, with "…"
// appended when it was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// quoteName quotes a name for a message, as %q does, cut to maxQuotedName
// bytes first.
func quoteName(s string) string { return strconv.Quote(clip(s, maxQuotedName)) }

// requestSecrets are the parts of a signed request that text from the
// service must not carry back into an error or a log: the query string
// (which holds the signature), the signature, and the token in a revoke
// path, in the forms a server might echo them.
type requestSecrets struct {
	texts [4]string
	n     int
}

// minSecretLen is the shortest text redacted: shorter ones are no real
// token or signature, and replacing them would garble ordinary words.
const minSecretLen = 8

// secretsOf returns the secrets of a request with this raw query and path.
func secretsOf(rawQuery, path string) *requestSecrets {
	s := new(requestSecrets)
	s.add(rawQuery)
	for q := rawQuery; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if sig, ok := strings.CutPrefix(pair, "signature="); ok {
			s.add(strings.TrimPrefix(sig, "v2.")) // echoed with or without its version
		}
	}
	if _, tok, ok := strings.Cut(path, "/grant/"); ok {
		s.add(tok) // as sent: percent-encoded
		if raw, err := url.PathUnescape(tok); err == nil {
			s.add(strings.TrimRight(raw, "=")) // decoded, with or without padding
		}
	}
	return s
}

func (s *requestSecrets) add(text string) {
	if len(text) >= minSecretLen && s.n < len(s.texts) {
		s.texts[s.n] = text
		s.n++
	}
}

// longest returns the length of the longest secret; 0 for a nil s.
func (s *requestSecrets) longest() int {
	n := 0
	if s != nil {
		for _, t := range s.texts[:s.n] {
			n = max(n, len(t))
		}
	}
	return n
}

// redact replaces every secret in text with "[redacted]". A nil s changes
// nothing.
func (s *requestSecrets) redact(text string) string {
	if s == nil {
		return text
	}
	for _, secret := range s.texts[:s.n] {
		if strings.Contains(text, secret) {
			text = strings.ReplaceAll(text, secret, redactedText)
		}
	}
	return text
}

// scrub strips the request's secrets from every text the service sent and
// bounds what is kept: messages and names are cut with an ellipsis, the
// details and named resources to their first maxKeptDetails, the body to
// maxErrorBody bytes. The error's kind has been read from the full text.
func (e *APIError) scrub(s *requestSecrets) {
	text := func(t string, n int) string { return clip(s.redact(t), n) }
	e.Service = text(e.Service, maxShortText)
	e.Source = text(e.Source, maxShortText)
	e.Message = text(e.Message, maxServiceText)
	if len(e.Details) > maxKeptDetails {
		e.moreDetails = len(e.Details) - maxKeptDetails
		e.Details = e.Details[:maxKeptDetails:maxKeptDetails]
	}
	for i, d := range e.Details {
		e.Details[i] = ErrorDetail{
			Message:      text(d.Message, maxDetailText),
			Location:     text(d.Location, maxDetailText),
			LocationType: text(d.LocationType, maxShortText),
		}
	}
	if p := e.Payload; p != nil {
		p.Channels, e.moreChannels = scrubNames(p.Channels, s)
		p.ChannelGroups, e.moreGroups = scrubNames(p.ChannelGroups, s)
	}
	if e.Body != nil {
		// Only what may end up in the first maxErrorBody bytes is read:
		// a secret that straddles the cut is still found whole.
		body := s.redact(string(e.Body[:min(len(e.Body), maxErrorBody+s.longest())]))
		e.Body = []byte(body[:min(len(body), maxErrorBody)])
	}
}

// scrubNames bounds a list of names from the service; more is how many
// were dropped.
func scrubNames(names []string, s *requestSecrets) (kept []string, more int) {
	if len(names) > maxKeptDetails {
		more = len(names) - maxKeptDetails
		names = names[:maxKeptDetails:maxKeptDetails]
	}
	for i, n := range names {
		names[i] = clip(s.redact(n), maxQuotedName)
	}
	return names, more
}

// redactURLError replaces the URL inside a *url.Error with its scheme, host
// and path, without the query (so without signature or auth) and with a
// token in the path cut to its first 8 characters. The wrapped cause is
// kept for errors.Is.
func redactURLError(err error) error { return redactURLErrorAt(err, "") }

// redactURLError is the package's redactURLError, but a URL without scheme
// and host (a relative redirect) is reported on the client's origin, so
// that the message stays readable.
func (c *Client) redactURLError(err error) error { return redactURLErrorAt(err, c.origin()) }

// redactURLErrorAt is redactURLError with origin ("scheme://host", or "")
// standing in for a URL's missing scheme and host.
func redactURLErrorAt(err error, origin string) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	path := ""
	if u, perr := url.Parse(ue.URL); perr == nil {
		if u.Scheme != "" && u.Host != "" {
			origin = u.Scheme + "://" + clip(u.Host, maxQuotedName)
		}
		path = clip(redactPath(u.EscapedPath()), maxDetailText)
	}
	if origin+path == "" {
		path = "(unreadable URL)"
	}
	return &url.Error{Op: ue.Op, URL: origin + path, Err: ue.Err}
}

// origin returns the client's origin as "scheme://host".
func (c *Client) origin() string { return c.scheme + "://" + c.host }

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
