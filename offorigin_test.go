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
