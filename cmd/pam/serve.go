package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

// serveLimits bound what a client can hold of the emulator's server.
type serveLimits struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}

// defaultServeLimits: a client that trickles its headers or body is cut
// off; the largest request line (a 32 KiB token and a 32 KiB message,
// both escaped) fits in maxHeaderBytes.
var defaultServeLimits = serveLimits{
	readHeader:     10 * time.Second,
	read:           30 * time.Second,
	write:          60 * time.Second,
	idle:           120 * time.Second,
	maxHeaderBytes: 256 << 10,
}

// newHTTPServer returns the server pam serve runs h with.
func newHTTPServer(h http.Handler, l serveLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.readHeader,
		ReadTimeout:       l.read,
		WriteTimeout:      l.write,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    l.maxHeaderBytes,
	}
}

// serveFlags are the flags of pam serve.
type serveFlags struct {
	addr        *string
	maxTTL      ttlFlag
	noRevoke    *bool
	keysFromEnv *bool
}

func defineServe(fs *flag.FlagSet) action {
	f := &serveFlags{maxTTL: ttlFlag{d: pam.MaxTTL}}
	f.addr = fs.String("addr", "127.0.0.1:8090", "the `ADDRESS` (host:port) to listen on; other than loopback, pam warns")
	fs.Var(&f.maxTTL, "max-ttl", "the longest ttl the emulator grants, a `DURATION` (2h, 7d) or a number of minutes, "+
		"between 1 minute and 30 days (43200 minutes)")
	f.noRevoke = fs.Bool("revoke-disabled", false, "answer revocations with 403 Feature disabled, as a keyset without revocation does")
	f.keysFromEnv = fs.Bool("keys-from-env", false, "serve the keys in PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY and PAM_SECRET_KEY "+
		"(those not set are generated) instead of fresh ones; keys from the environment are not printed")
	return f.run
}

func (f *serveFlags) run(ctx context.Context, pos []string, e *env) int {
	if len(pos) != 0 {
		return usageError(e, "serve", "unexpected argument %s", quote(pos[0]))
	}
	keys, printed := f.keys(e)
	listen := net.Listen
	if e.listen != nil {
		listen = e.listen
	}
	ln, err := listen("tcp", *f.addr)
	if err != nil {
		return usageError(e, "serve", "--addr %s: %v", quote(*f.addr), err)
	}
	opts := []pamtest.Option{pamtest.WithKeys(keys), pamtest.WithMaxTTL(int(f.maxTTL.d / time.Minute))}
	if *f.noRevoke {
		opts = append(opts, pamtest.WithRevokeDisabled())
	}
	limits := defaultServeLimits
	if e.limits != nil {
		limits = *e.limits
	}
	srv := newHTTPServer(pamtest.NewHandler(opts...), limits)
	origin := "http://" + ln.Addr().String()
	for _, kv := range append(printed, [2]string{"PAM_ORIGIN", origin}) {
		fmt.Fprintf(e.stdout, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintf(e.stderr, "pam serve: Access Manager emulator listening on %s; interrupt to stop\n", origin)
	if !isLoopback(ln.Addr()) {
		fmt.Fprintf(e.stderr, "pam serve: warning: %s is reachable from other machines; the emulator is for tests "+
			"(plain HTTP, keys printed above): prefer --addr 127.0.0.1:PORT\n", ln.Addr())
	}
	if e.ready != nil {
		e.ready(ln.Addr().String())
	}
	return serveUntilDone(ctx, srv, ln, e)
}

// keys returns the keyset to serve and the export lines that give it to
// the user: fresh keys, printed, unless --keys-from-env; then the
// environment's, not printed, and fresh ones printed for any not set.
func (f *serveFlags) keys(e *env) (pam.Keys, [][2]string) {
	fromEnv, _ := keysFromEnv(e)
	fresh := pam.Keys{Subscribe: "sub-c-" + uuid.NewString(), Publish: "pub-c-" + uuid.NewString(), Secret: "sec-c-" + uuid.NewString()}
	if !*f.keysFromEnv {
		var ignored []string
		for i, v := range [...]string{fromEnv.Subscribe, fromEnv.Publish, fromEnv.Secret} {
			if v != "" {
				ignored = append(ignored, keyVars[i])
			}
		}
		if len(ignored) > 0 {
			fmt.Fprintf(e.stderr, "pam serve: %s set in the environment but not used: the emulator has fresh keys "+
				"(pass --keys-from-env to serve the environment's)\n", strings.Join(ignored, ", "))
		}
		fromEnv = pam.Keys{}
	}
	var printed [][2]string
	for i, k := range [...]struct{ have, fresh *string }{
		{&fromEnv.Subscribe, &fresh.Subscribe}, {&fromEnv.Publish, &fresh.Publish}, {&fromEnv.Secret, &fresh.Secret},
	} {
		if *k.have == "" {
			*k.have = *k.fresh
			printed = append(printed, [2]string{keyVars[i], *k.fresh})
		}
	}
	return fromEnv, printed
}

// isLoopback reports whether a listens on a loopback address only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// serveUntilDone serves until ctx is done, then shuts the server down.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, e *env) int {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fail(e, fmt.Errorf("pam serve: %w", err))
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail(e, fmt.Errorf("pam serve: %w", err))
	}
	return exitOK
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	for _, c := range s {
		if !shellSafe(c) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
