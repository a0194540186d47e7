package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

func runServe(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:8090]",
		"Run the local Access Manager emulator until interrupted; print the keys and origin as shell export lines")
	addr := fs.String("addr", "127.0.0.1:8090", "the address to listen on")
	maxTTL := fs.Int("max-ttl", 43200, "the longest TTL, in minutes, the emulator grants")
	noRevoke := fs.Bool("revoke-disabled", false, "answer revocations with 403 Feature disabled, as a keyset without revocation does")
	pos, code, ok := parseArgs(fs, args, e)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return usageError(fs, e, "unexpected argument %q", pos[0])
	}
	keys := pam.Keys{
		Subscribe: e.getenv("PAM_SUBSCRIBE_KEY"),
		Publish:   e.getenv("PAM_PUBLISH_KEY"),
		Secret:    e.getenv("PAM_SECRET_KEY"),
	}
	if keys.Subscribe == "" {
		keys.Subscribe = "sub-c-" + uuid.NewString()
	}
	if keys.Publish == "" {
		keys.Publish = "pub-c-" + uuid.NewString()
	}
	if keys.Secret == "" {
		keys.Secret = "sec-c-" + uuid.NewString()
	}
	opts := []pamtest.Option{pamtest.WithKeys(keys), pamtest.WithMaxTTL(*maxTTL)}
	if *noRevoke {
		opts = append(opts, pamtest.WithRevokeDisabled())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(e, fmt.Errorf("pam: serve: %w", err))
	}
	srv := &http.Server{Handler: pamtest.NewHandler(opts...), ReadHeaderTimeout: 10 * time.Second}
	origin := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "export PAM_SUBSCRIBE_KEY=%s\n", shellQuote(keys.Subscribe))
	fmt.Fprintf(e.stdout, "export PAM_PUBLISH_KEY=%s\n", shellQuote(keys.Publish))
	fmt.Fprintf(e.stdout, "export PAM_SECRET_KEY=%s\n", shellQuote(keys.Secret))
	fmt.Fprintf(e.stdout, "export PAM_ORIGIN=%s\n", shellQuote(origin))
	fmt.Fprintf(e.stderr, "pam: Access Manager emulator listening on %s; interrupt to stop\n", origin)
	if e.ready != nil {
		e.ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fail(e, fmt.Errorf("pam: serve: %w", err))
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail(e, fmt.Errorf("pam: serve: %w", err))
	}
	return exitOK
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	for _, c := range s {
		if !shellSafe(c) {
			out := []byte{'\''}
			for i := 0; i < len(s); i++ {
				if s[i] == '\'' {
					out = append(out, `'\''`...)
				} else {
					out = append(out, s[i])
				}
			}
			return string(append(out, '\''))
		}
	}
	return s
}

// shellSafe reports whether c needs no quoting in a POSIX shell word.
func shellSafe(c rune) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	return strings.ContainsRune("-_.:/", c)
}
