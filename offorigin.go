package pam

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pamkit/pam/internal/sign"
)

// withoutToken returns req, or a copy of it without the client's token, for
// a request that leaves the origin: auth parameters whose value is the
// token are dropped from the query (the other parameters stay, in order),
// and a Referer that carries the token loses its query. Such a request
// usually comes from a redirect that the caller's HTTP client follows with
// the query kept; the transport sees every hop. An auth that is not the
// client's token is the caller's business and stays.
func (c *Client) withoutToken(req *http.Request) *http.Request {
	tok := strings.TrimRight(wireToken(c.Token()), "=")
	if tok == "" || req.URL == nil {
		return req
	}
	query, inQuery := stripToken(req.URL.RawQuery, tok)
	referer := req.Header.Get("Referer")
	inReferer := referer != "" && carriesToken(referer, tok)
	if !inQuery && !inReferer {
		return req
	}
	r := req.Clone(req.Context())
	if inQuery {
		r.URL.RawQuery = query
		r.URL.ForceQuery = false
	}
	if inReferer {
		if u, err := url.Parse(referer); err == nil && u.Host != "" {
			u.RawQuery, u.ForceQuery, u.Fragment = "", false, ""
			r.Header.Set("Referer", u.String())
		} else {
			r.Header.Del("Referer")
		}
	}
	return r
}

// stripToken removes the auth parameters whose value is tok (compared
// decoded, without padding) from a raw query; found reports whether there
// were any.
func stripToken(rawQuery, tok string) (query string, found bool) {
	if !strings.Contains(rawQuery, "auth") {
		return rawQuery, false
	}
	var q strings.Builder
	forEachParam(rawQuery, func(key, pair string) {
		if key == "auth" {
			_, v, _ := strings.Cut(pair, "=")
			if dv, err := url.QueryUnescape(v); err == nil && strings.TrimRight(wireToken(dv), "=") == tok {
				found = true
				return
			}
		}
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(pair)
	})
	if !found {
		return rawQuery, false
	}
	return q.String(), true
}

// carriesToken reports whether text holds tok (without its padding) as is
// or percent-encoded.
func carriesToken(text, tok string) bool {
	return strings.Contains(text, tok) || strings.Contains(text, sign.Encode(tok))
}
