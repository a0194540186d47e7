package pam

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newThirdParty records everything every request brings it: the request
// line, every header and the body.
func newThirdParty(t *testing.T) *recordingServer {
	t.Helper()
	return newRecordingServer(t, func(r *http.Request, body []byte) []string {
		var all strings.Builder
		all.WriteString(r.Method + " " + r.RequestURI + "\n")
		_ = r.Header.Write(&all)
		all.Write(body)
		return []string{all.String()}
	}, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
}

// TestTransportRedirectKeepsTokenAtOrigin: an origin that redirects
// elsewhere keeping the query (so auth=) never delivers the token to the
// other host, in the query or the Referer, whatever the status, method and
// however the token was set; the caller's own auth for that host stays.
func TestTransportRedirectKeepsTokenAtOrigin(t *testing.T) {
	t.Parallel()
	tok := mkToken(t, time.Now(), time.Hour, "stays-home")
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, fromSource := range []bool{false, true} {
			name := http.StatusText(status)
			if fromSource {
				name += " source"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				other := newThirdParty(t)
				origin := newAuthServer(t, func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/back") {
						_, _ = io.WriteString(w, "home")
						return
					}
					w.Header().Set("Location", other.URL+"/landing?"+r.URL.RawQuery+"&next="+url.QueryEscape("x"))
					w.WriteHeader(status)
				})
				var opts []Option
				if fromSource {
					opts = append(opts, WithTokenSource(ReuseTokenSource(&countingSource{tokens: []string{tok}}, 0)))
				}
				c, hc := authClient(t, origin, opts...)
				if !fromSource {
					c.SetToken(tok)
				}
				resp, err := hc.Post(origin.URL+"/publish/p/s/0/ch/0?uuid=device-1", "application/json", strings.NewReader(`{"m":1}`))
				require.NoError(t, err)
				_ = resp.Body.Close()
				get(t, hc, other.URL+"/theirs?auth=their-own-key")

				got := other.recorded()
				require.Len(t, got, 2, "the redirect was followed, then the direct call")
				enc := url.QueryEscape(tok)
				for _, r := range got {
					assert.NotContains(t, r, tok)
					assert.NotContains(t, r, enc)
					assert.NotContains(t, r, strings.TrimRight(tok, "="))
				}
				assert.Contains(t, got[0], "next=x", "the rest of the query is kept")
				assert.Contains(t, got[1], "auth=their-own-key", "an auth that is not the client's token is left alone")
				assert.Contains(t, origin.seen()[0], "auth="+enc, "the origin got the token")
			})
		}
	}
}

// TestTransportRejectedTokenForgotten: a 403 "Token is revoked/expired" on a
// request that cannot be replayed is returned as it is, but the token is
// dropped: the next request asks the source exactly once and carries the
// fresh token.
func TestTransportRejectedTokenForgotten(t *testing.T) {
	t.Parallel()
	old := mkToken(t, time.Now(), time.Hour, "old")
	fresh := mkToken(t, time.Now(), time.Hour, "fresh")
	for _, body := range []string{bodyRevoked, bodyExpired} {
		t.Run(body[len(body)-20:], func(t *testing.T) {
			t.Parallel()
			src := &countingSource{tokens: []string{old, fresh}}
			srv := newAuthServer(t, rejecting(body, old))
			_, hc := authClient(t, srv, WithTokenSource(ReuseTokenSource(src, 0)))

			post := func() (int, string) { // a request that cannot be replayed
				req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/objects", io.NopCloser(strings.NewReader(`{"a":1}`)))
				require.NoError(t, err)
				require.Nil(t, req.GetBody)
				resp, err := hc.Do(req)
				require.NoError(t, err)
				b, _ := io.ReadAll(resp.Body)
				require.NoError(t, resp.Body.Close())
				return resp.StatusCode, string(b)
			}
			status, got := post()
			assert.Equal(t, http.StatusForbidden, status)
			assert.Equal(t, body, got)
			assert.EqualValues(t, 1, src.calls.Load(), "not refreshed for a request that is not resent")

			status, _ = get(t, hc, srv.URL+"/time/0")
			assert.Equal(t, http.StatusOK, status)
			assert.EqualValues(t, 2, src.calls.Load(), "exactly one source call on the next request")
			assert.Equal(t, []string{uid + "auth=" + url.QueryEscape(old), uid + "auth=" + url.QueryEscape(fresh)}, srv.seen(),
				"the next request goes out once, with the fresh token: the rejected one is not tried again")

			status, _ = post()
			assert.Equal(t, http.StatusOK, status, "a later request that cannot be replayed goes through too")
			assert.EqualValues(t, 2, src.calls.Load(), "the fresh token is cached")
		})
	}
}
