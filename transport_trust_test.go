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
