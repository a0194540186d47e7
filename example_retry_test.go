package pam_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/pamkit/pam"
)

// A service that is briefly unavailable: the first attempt is answered 503
// with Retry-After, the second succeeds. The logger shows both attempts and
// the retry, without the query string, signature or token.
func ExampleWithRetry() {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"message":"Success","token":"p0F2AkF0Gl043rhDdHRsCkNyZXOkRGNoYW6hZnNlY3JldAFDZ3JwoEN1c3KgQ3NwY6BDcGF0pERjaGFuoENncnCgQ3VzcqBDc3BjoERtZXRhoENzaWdYIGOAeTyWGLzlrpFaVxOA9ND7ffB-a-f2GJk3UqYdiTp7"},"service":"Access Manager","status":200}`)
	}))
	defer srv.Close()

	// A text logger without the varying time and duration, for the example.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" || a.Key == "wait" {
				return slog.Attr{}
			}
			return a
		},
	}))
	c, err := pam.New(pam.Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: "sec-c-1"},
		pam.WithOrigin(srv.URL),
		pam.WithRetry(pam.RetryPolicy{MaxAttempts: 4, MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Second}),
		pam.WithLogger(logger),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	token, err := c.GrantToken(ctx, pam.NewTokenRequest(time.Hour).Channel("room-1", pam.Read))
	fmt.Println(token[:8], err)
	// Output:
	// level=DEBUG msg="pam: request" op="grant token" method=POST path=/v3/pam/sub-c-1/grant status=503 attempt=1 error="service answered 503"
	// level=WARN msg="pam: retrying" op="grant token" method=POST path=/v3/pam/sub-c-1/grant attempt=1 reason="service answered 503"
	// level=DEBUG msg="pam: request" op="grant token" method=POST path=/v3/pam/sub-c-1/grant status=200 attempt=2
	// p0F2AkF0 <nil>
}
