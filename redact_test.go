package pam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newEchoServer answers every request with status and a body that echoes
// the request's URL back (as reply builds it), and records the raw query
// and the signature (with and without its version) it was sent.
func newEchoServer(t *testing.T, status int, reply func(r *http.Request) string) *recordingServer {
	t.Helper()
	return newRecordingServer(t, func(r *http.Request, _ []byte) []string {
		sig := r.URL.Query().Get("signature")
		return []string{r.URL.RawQuery, sig, strings.TrimPrefix(sig, "v2.")}
	}, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply(r))
	})
}

// TestServerTextRedacted: servers and proxies that echo the request URL (a
// 404 HTML page, a 502 JSON message, a 400 detail, a 403 payload) get no
// signature, query string or token into the error, APIError's fields or
// any Debug log record, for grant and for revoke (whose path holds the
// token).
func TestServerTextRedacted(t *testing.T) {
	t.Parallel()
	token := mkToken(t, time.Now(), time.Hour, "echoed")
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	replies := []struct {
		name   string
		status int
		reply  func(r *http.Request) string
	}{
		{"404 HTML", 404, func(r *http.Request) string {
			return "<html><body>Not found: " + html.EscapeString(r.URL.String()) + " (" + r.RequestURI + ")</body></html>"
		}},
		{"502 JSON message", 502, func(r *http.Request) string {
			return `{"message":` + jsonString("bad gateway for "+r.RequestURI) + `,"service":"proxy","error":true}`
		}},
		{"502 JSON decoded URL", 502, func(r *http.Request) string {
			u, _ := url.PathUnescape(r.RequestURI)
			return `{"message":` + jsonString("bad gateway for "+u) + `,"service":"proxy","error":true}`
		}},
		{"400 detail", 400, func(r *http.Request) string {
			return `{"error":{"message":"Invalid request","source":"grant","details":[{"message":` + jsonString("cannot read "+r.RequestURI) +
				`,"location":` + jsonString(r.URL.RawQuery) + `,"locationType":"query"}]},"service":"Access Manager","status":400}`
		}},
		{"403 payload", 403, func(r *http.Request) string {
			return `{"message":"Forbidden","payload":{"channels":[` + jsonString(r.URL.Path) + `,` + jsonString(r.URL.RawQuery) + `]},"error":true,"service":"Access Manager","status":403}`
		}},
	}
	for _, rp := range replies {
		t.Run(rp.name, func(t *testing.T) {
			t.Parallel()
			srv := newEchoServer(t, rp.status, rp.reply)
			logs := newLogCapture(slog.LevelDebug)
			c, err := New(testKeys, WithOrigin(srv.URL), WithLogger(slog.New(logs)), WithRetry(RetryPolicy{MaxAttempts: 2}))
			require.NoError(t, err)
			c.sleep = func(context.Context, time.Duration) error { return nil }

			_, gerr := c.GrantToken(context.Background(), grantReq)
			rerr := c.RevokeToken(context.Background(), token)
			secrets := append(srv.recorded(), token, strings.TrimRight(token, "="), escapePathSegment(token))
			for _, err := range []error{gerr, rerr} {
				require.Error(t, err)
				var apiErr *APIError
				require.True(t, errors.As(err, &apiErr), err.Error())
				texts := map[string]string{
					"error":    err.Error(),
					"APIError": apiErr.Error(),
					"fields":   fmt.Sprintf("%s %s %s %q %q %+v", apiErr.Message, apiErr.Service, apiErr.Source, apiErr.Details, apiErr.Body, apiErr.Payload),
				}
				for what, text := range texts {
					for _, s := range secrets {
						assert.NotContains(t, text, s, what)
					}
				}
				assert.Contains(t, err.Error(), redactedText, "what was echoed is marked as removed")
			}
			require.NotEmpty(t, logs.records())
			for _, s := range secrets {
				assert.NotContains(t, logs.String(), s, "log records")
			}
		})
	}
}

// TestServerTextNotGarbled: text without the request's secrets is kept as
// the service wrote it, and a nil secrets set changes nothing.
func TestServerTextNotGarbled(t *testing.T) {
	t.Parallel()
	s := secretsOf("pnsdk=x&signature=v2.abcdefghijklmnop&uuid=u", "/v3/pam/sub/grant/short")
	assert.Equal(t, "Token is revoked.", s.redact("Token is revoked."))
	assert.Equal(t, "sig v2.[redacted] and [redacted]", s.redact("sig v2.abcdefghijklmnop and pnsdk=x&signature=v2.abcdefghijklmnop&uuid=u"))
	var none *requestSecrets
	assert.Equal(t, "v2.abcdefghijklmnop", none.redact("v2.abcdefghijklmnop"))
}

// TestServerTextBounded: the largest answers a server can send (1 MiB of
// JSON error with a huge message and thousands of details, 1 MiB of HTML, a
// 403 naming thousands of channels) give errors and log records of bounded
// size, through retries.
func TestServerTextBounded(t *testing.T) {
	t.Parallel()
	var details strings.Builder
	for i := range 8_000 {
		if i > 0 {
			details.WriteByte(',')
		}
		fmt.Fprintf(&details, `{"message":"bad %d","location":"permissions.resources.channels.c%d","locationType":"body"}`, i, i)
	}
	var channels strings.Builder
	for i := range 50_000 {
		if i > 0 {
			channels.WriteByte(',')
		}
		fmt.Fprintf(&channels, `"room-%d"`, i)
	}
	bodies := []struct {
		name   string
		status int
		body   string
	}{
		{"1 MiB JSON 503", 503, `{"error":{"message":"` + strings.Repeat("overloaded ", 20_000) + `","source":"grant","details":[` + details.String() + `]},"service":"Access Manager","status":503}`},
		{"1 MiB HTML 503", 503, "<html>" + strings.Repeat("<p>Service Unavailable</p>", (1<<20-20)/26) + "</html>"},
		{"403 naming 50k channels", 403, `{"message":"Forbidden","payload":{"channels":[` + channels.String() + `]},"error":true,"service":"Access Manager","status":403}`},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			require.LessOrEqual(t, len(b.body), maxResponseBody)
			srv := newEchoServer(t, b.status, func(*http.Request) string { return b.body })
			logs := newLogCapture(slog.LevelDebug)
			c, err := New(testKeys, WithOrigin(srv.URL), WithLogger(slog.New(logs)))
			require.NoError(t, err)
			c.sleep = func(context.Context, time.Duration) error { return nil }

			_, err = c.GrantToken(context.Background(), grantReq)
			require.Error(t, err)
			assert.LessOrEqual(t, len(err.Error()), 8<<10, "error of %d bytes", len(err.Error()))
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.LessOrEqual(t, len(apiErr.Message), maxServiceText+len("…"))
			assert.LessOrEqual(t, len(apiErr.Details), maxKeptDetails)
			assert.LessOrEqual(t, len(apiErr.Body), maxErrorBody)
			if apiErr.Payload != nil {
				assert.LessOrEqual(t, len(apiErr.Payload.Channels), maxKeptDetails)
			}
			if len(apiErr.Details) > 0 || apiErr.Payload != nil {
				assert.Contains(t, err.Error(), " more", "says how many were left out")
			}
			assert.LessOrEqual(t, len(logs.String()), 32<<10, "logs of %d bytes for %d records", len(logs.String()), len(logs.records()))
			t.Logf("body %d bytes: error %d bytes, logs %d bytes in %d records", len(b.body), len(err.Error()), len(logs.String()), len(logs.records()))
		})
	}
}

// TestBodyCutAfterRedaction: a secret that straddles the point where the
// kept body is cut is removed whole, not left in part.
func TestBodyCutAfterRedaction(t *testing.T) {
	t.Parallel()
	const sig = "v2.SIGNATUREabcdefghijklmnopqrstuvwxyz0123456"
	s := secretsOf("pnsdk=x&signature="+sig, "/v3/pam/sub/grant")
	for cut := maxErrorBody - len(sig) + 1; cut < maxErrorBody; cut += 7 {
		e := &APIError{StatusCode: 502, Body: []byte(strings.Repeat("x", cut) + sig + strings.Repeat("y", 100))}
		e.scrub(s)
		assert.LessOrEqual(t, len(e.Body), maxErrorBody)
		assert.NotContains(t, string(e.Body), "SIGNATURE", "cut at %d", cut)
	}
}
