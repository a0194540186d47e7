package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serving is a pam serve running in the background.
type serving struct {
	addr        string
	out, errOut *syncBuffer
	stop        func() int // stops the server and returns its exit code
}

// startServe runs pam serve with args, the environment vars and e's hooks,
// and waits until it listens.
func startServe(t *testing.T, vars map[string]string, hooks env, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{out: &syncBuffer{}, errOut: &syncBuffer{}}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	e := hooks
	e.stdin, e.stdout, e.stderr = strings.NewReader(""), s.out, s.errOut
	e.getenv = func(k string) string { return vars[k] }
	e.ready = func(a string) { ready <- a }
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &e) }()
	select {
	case s.addr = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d: %s", code, s.errOut.String())
	}
	var once sync.Once
	code := 0
	s.stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// exports reads the export lines serve printed.
func (s *serving) exports(t *testing.T) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s.out.String()), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		require.True(t, ok, line)
		vars[k] = v
	}
	return vars
}

// TestServeSession runs pam serve in the background and grants, parses,
// checks and revokes against it with the CLI, as a user in a second shell
// would after eval-ing the export lines.
func TestServeSession(t *testing.T) {
	t.Parallel()
	s := startServe(t, nil, env{}, "--addr", "127.0.0.1:0")
	vars := s.exports(t)
	require.Len(t, vars, 4)
	assert.Equal(t, "http://"+s.addr, vars["PAM_ORIGIN"])
	assert.True(t, strings.HasPrefix(vars["PAM_SECRET_KEY"], "sec-c-"))
	assert.NotContains(t, s.errOut.String(), "warning")

	g := pamRun(t, vars, "", "grant", "--ttl", "15m", "--authorized-uuid", "device-1",
		"--channel", "room-1=read,write", "--channel-pattern", "^lobby-[0-9]+$=read", "--meta", "plan=pro")
	require.Equal(t, 0, g.code, g.stderr)
	token := strings.TrimSpace(g.stdout)

	p := pamRun(t, vars, token, "parse", "-")
	require.Equal(t, 0, p.code, p.stderr)
	assert.Contains(t, p.stdout, "authorized uuid  device-1")
	assert.Contains(t, p.stdout, "(14m59s left)")
	assert.Contains(t, p.stdout, `plan  "pro"`)

	ok := pamRun(t, vars, "", "check", token, "--channel", "lobby-7", "--perm", "read", "--uuid", "device-1")
	assert.Equal(t, 0, ok.code, ok.stdout)
	no := pamRun(t, vars, "", "check", token, "--channel", "room-1", "--perm", "manage", "--uuid", "device-1")
	assert.Equal(t, 1, no.code, no.stdout)
	assert.Contains(t, no.stdout, "manage")

	rv := pamRun(t, vars, "", "revoke", token)
	require.Equal(t, 0, rv.code, rv.stderr)
	assert.Equal(t, "revoked\n", rv.stdout)
	again := pamRun(t, vars, "", "revoke", token)
	assert.Equal(t, exitError, again.code)
	assert.Contains(t, again.stderr, "400")
	assert.NotContains(t, again.stderr, token)
	assert.NotContains(t, again.stderr, vars["PAM_SECRET_KEY"])

	// A grant whose token would be too long to read back is refused.
	args := []string{"grant", "--ttl", "15m", "--authorized-uuid", "u"}
	for i := range 5000 {
		args = append(args, "--channel", fmt.Sprintf("channel-%04d=read", i))
	}
	big := pamRun(t, vars, "", args...)
	assert.Equal(t, exitError, big.code)
	assert.Empty(t, big.stdout)
	assert.Contains(t, big.stderr, "Token too large")
	assert.Equal(t, exitOK, s.stop())
}

// TestServeKeys: fresh keys unless --keys-from-env; keys that come from the
// environment are never printed.
func TestServeKeys(t *testing.T) {
	t.Parallel()
	full := map[string]string{"PAM_SUBSCRIBE_KEY": "sub-c-env", "PAM_PUBLISH_KEY": "pub-c-env", "PAM_SECRET_KEY": "sec-c-env-secret"}
	tests := []struct {
		name      string
		vars      map[string]string
		args      []string
		exported  []string // the variables printed
		fromEnv   []string // the variables served from the environment
		stderrHas string
	}{
		{"nothing set", nil, nil, keyVars[:], nil, ""},
		{"set, not used", full, nil, keyVars[:], nil, "PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY, PAM_SECRET_KEY set in the environment but not used"},
		{"--keys-from-env", full, []string{"--keys-from-env"}, nil, keyVars[:], ""},
		{"--keys-from-env, secret missing", map[string]string{"PAM_SUBSCRIBE_KEY": "sub-c-env", "PAM_PUBLISH_KEY": "pub-c-env"},
			[]string{"--keys-from-env"}, []string{"PAM_SECRET_KEY"}, []string{"PAM_SUBSCRIBE_KEY", "PAM_PUBLISH_KEY"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, tt.vars, env{}, append([]string{"--addr", "127.0.0.1:0"}, tt.args...)...)
			got := s.exports(t)
			assert.Len(t, got, len(tt.exported)+1, "the keys generated, and PAM_ORIGIN")
			for _, k := range tt.exported {
				assert.NotEmpty(t, got[k], k)
				assert.NotEqual(t, tt.vars[k], got[k], "%s is fresh", k)
			}
			everything := s.out.String() + s.errOut.String()
			for _, k := range keyVars {
				if v := tt.vars[k]; v != "" {
					assert.NotContains(t, everything, v, "%s from the environment is never printed", k)
				}
			}
			if tt.stderrHas != "" {
				assert.Contains(t, s.errOut.String(), tt.stderrHas)
			}
			// The served keyset: the environment's where used, the printed ones otherwise.
			use := map[string]string{"PAM_ORIGIN": got["PAM_ORIGIN"]}
			for _, k := range tt.fromEnv {
				use[k] = tt.vars[k]
			}
			for _, k := range tt.exported {
				use[k] = got[k]
			}
			g := pamRun(t, use, "", "grant", "--ttl", "1m", "--authorized-uuid", "u", "--channel", "a=read")
			assert.Equal(t, exitOK, g.code, g.stderr)
			assert.Equal(t, exitOK, s.stop())
		})
	}
}

// fakeAddrListener listens on loopback but reports another address, so
// that the non-loopback warning can be tested without binding one.
type fakeAddrListener struct {
	net.Listener
	addr net.Addr
}

func (f fakeAddrListener) Addr() net.Addr { return f.addr }

// TestServeWarnsNonLoopback: an address other machines can reach is
// served, with a warning on standard error.
func TestServeWarnsNonLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip   string
		warn bool
	}{
		{"127.0.0.1", false}, {"127.0.0.2", false}, {"::1", false},
		{"0.0.0.0", true}, {"::", true}, {"192.168.1.10", true}, {"10.0.0.1", true}, {"2001:db8::1", true},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			listen := func(network, _ string) (net.Listener, error) {
				ln, err := net.Listen(network, "127.0.0.1:0")
				if err != nil {
					return nil, err
				}
				return fakeAddrListener{ln, &net.TCPAddr{IP: net.ParseIP(tt.ip), Port: 8090}}, nil
			}
			s := startServe(t, nil, env{listen: listen}, "--addr", "ignored:0")
			if tt.warn {
				assert.Contains(t, s.errOut.String(), "pam serve: warning: "+net.JoinHostPort(tt.ip, "8090")+" is reachable from other machines")
			} else {
				assert.NotContains(t, s.errOut.String(), "warning")
			}
			assert.Equal(t, exitOK, s.stop())
		})
	}
}

// TestServeBadFlags: a bad flag value is one line naming the flag, exit 2,
// and nothing served.
func TestServeBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--max-ttl", "0"}, `--max-ttl "0": a ttl is between 1 minute and 30 days (43200 minutes)`},
		{[]string{"--max-ttl", "-5"}, `--max-ttl "-5": a ttl is between`},
		{[]string{"--max-ttl=99999999999999999999"}, `--max-ttl "99999999999999999999": a ttl is between`},
		{[]string{"--max-ttl", "90s"}, `--max-ttl "90s": not a whole number of minutes`},
		{[]string{"--max-ttl", "lots"}, `--max-ttl "lots": not a duration`},
		{[]string{"--max-ttl"}, "--max-ttl needs a value"},
		{[]string{"--addr", "nope"}, `--addr "nope": listen tcp: address nope: missing port in address`},
		{[]string{"--addr", "256.0.0.1:1"}, `--addr "256.0.0.1:1": listen tcp`},
		{[]string{"--keys-from-env=maybe"}, `--keys-from-env takes no value (or true or false), not "maybe"`},
		{[]string{"--port", "80"}, "unknown flag --port"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := pamRun(t, nil, "", append([]string{"serve"}, tt.args...)...)
			assert.Equal(t, exitUsage, r.code)
			assert.Empty(t, r.stdout, "no keys printed")
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			require.Len(t, lines, 2, r.stderr)
			assert.True(t, strings.HasPrefix(lines[0], "pam serve: "+tt.want), lines[0])
		})
	}
}

// TestServeAddressInUse: a taken address names --addr.
func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := pamRun(t, nil, "", "serve", "--addr", ln.Addr().String())
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "pam serve: --addr "+quote(ln.Addr().String())+": listen tcp")
}

func TestServeLimits(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(nil, defaultServeLimits)
	assert.Positive(t, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.ReadTimeout)
	assert.Positive(t, srv.WriteTimeout)
	assert.Positive(t, srv.IdleTimeout)
	assert.LessOrEqual(t, srv.ReadHeaderTimeout, srv.ReadTimeout)
	// The longest publish line fits: a 32 KiB token and a 32 KiB message,
	// percent-encoded (up to three bytes per byte for the message).
	assert.GreaterOrEqual(t, srv.MaxHeaderBytes, 32<<10+3*(32<<10))
	assert.Less(t, srv.MaxHeaderBytes, 1<<20, "below net/http's 1 MB default")
}

// TestServeCutsSlowClients: 50 clients that trickle their headers or
// body, or send nothing, are all disconnected by the server's timeouts
// (shortened here), instead of holding their connections indefinitely.
func TestServeCutsSlowClients(t *testing.T) {
	t.Parallel()
	limits := serveLimits{readHeader: 150 * time.Millisecond, read: 300 * time.Millisecond, write: time.Second, idle: 300 * time.Millisecond, maxHeaderBytes: 64 << 10}
	s := startServe(t, nil, env{limits: &limits}, "--addr", "127.0.0.1:0")
	sub := s.exports(t)["PAM_SUBSCRIBE_KEY"]
	kinds := []struct {
		name  string
		start string // sent at once
		drip  string // then sent every 20 ms
	}{
		{"headers", "POST /time/0 HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n"},
		// The grant handler reads the body until the read timeout stops it.
		{"body", "POST /v3/pam/" + sub + "/grant HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n", "{"},
		{"silent", "", ""},
	}
	const clients = 50
	type cutOff struct{ kind, reply string }
	cut := make(chan cutOff, clients)
	for i := range clients {
		k := kinds[i%len(kinds)]
		go func() {
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				cut <- cutOff{"dial: " + err.Error(), ""}
				return
			}
			defer conn.Close()
			closed := make(chan string, 1)
			go func() { // read until the server hangs up
				b, _ := io.ReadAll(conn)
				closed <- string(b)
			}()
			_, _ = io.WriteString(conn, k.start)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case reply := <-closed:
					cut <- cutOff{k.name, reply}
					return
				case <-tick.C:
					if k.drip != "" {
						_, _ = io.WriteString(conn, k.drip)
					}
				}
			}
		}()
	}
	deadline := time.After(20 * time.Second) // a safety net, not a measurement
	counts := map[string]int{}
	for range clients {
		select {
		case c := <-cut:
			counts[c.kind]++
			if c.kind == "body" {
				assert.Contains(t, c.reply, "Invalid request body", "the handler was reading the body when the timeout cut it")
			}
		case <-deadline:
			t.Fatalf("still connected after the safety deadline; cut so far: %v", counts)
		}
	}
	assert.Equal(t, map[string]int{"headers": 17, "body": 17, "silent": 16}, counts)
	assert.Equal(t, exitOK, s.stop())
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "sub-c-1", shellQuote("sub-c-1"))
	assert.Equal(t, "http://127.0.0.1:8090", shellQuote("http://127.0.0.1:8090"))
	assert.Equal(t, `'a b'`, shellQuote("a b"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
	assert.Equal(t, `'^room-.*$=read'`, shellQuote("^room-.*$=read"))
}
