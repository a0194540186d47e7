// Command tokenserver shows token vending end to end: an application server
// serves Access Manager tokens to devices from a token endpoint
// (pam.TokenHandler) through a grant cache (pam.GrantCache), and devices
// fetch them with pam.HTTPTokenSource, refresh them before they expire and
// after a revocation, and attach them to their PubNub calls with
// Client.Transport.
//
//	go run ./examples/tokenserver
//
// It runs offline against pamtest, the Access Manager emulator, started in
// process with a clock the walkthrough moves forward. The token endpoint
// listens on a loopback port.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tokenserver:", err)
		os.Exit(1)
	}
}

// clock is the walkthrough's clock, shared by the emulator and the clients.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// authorize is the token endpoint's policy. A real server reads a session
// cookie or a bearer token here; this one trusts the X-User header.
func authorize(r *http.Request) (*pam.TokenRequest, error) {
	user := r.Header.Get("X-User")
	switch {
	case user == "":
		return nil, fmt.Errorf("no session: %w", pam.ErrUnauthenticated)
	case !strings.HasPrefix(user, "user-"):
		return nil, errors.New("not a chat user")
	}
	return pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID(user).
		Channel("room-1", pam.Read|pam.Write).
		ChannelPattern("^lobby-.*$", pam.Read), nil
}

// withUser adds the X-User header: the device's credentials.
type withUser struct{ user string }

func (t withUser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-User", t.user)
	return http.DefaultTransport.RoundTrip(r)
}

// device is one device: its pam client, with a token source on the token
// endpoint, and an HTTP client that attaches the token to PubNub calls.
type device struct {
	user     string
	c        *pam.Client
	hc       *http.Client
	emu      *pamtest.Server
	attempts *attempts
}

// attempts records the status of every request sent to PubNub, so that
// the walkthrough can show the transport's retry after a 403.
type attempts struct {
	mu       sync.Mutex
	statuses []string
}

func (a *attempts) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		a.mu.Lock()
		a.statuses = append(a.statuses, strconv.Itoa(resp.StatusCode))
		a.mu.Unlock()
	}
	return resp, err
}

// take returns the statuses recorded since the last call.
func (a *attempts) take() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := strings.Join(a.statuses, ", then ")
	a.statuses = nil
	return s
}

// newDevice returns a device of user that sends creds' credentials to the
// token endpoint.
func newDevice(emu *pamtest.Server, endpoint, user string, creds *http.Client, clk *clock) (*device, error) {
	src := pam.ReuseTokenSource(pam.HTTPTokenSource(endpoint, creds), time.Minute)
	c, err := pam.New(pam.Keys{Subscribe: emu.Keys().Subscribe}, // devices never hold the secret key
		pam.WithOrigin(emu.URL), pam.WithUserID(user), pam.WithClock(clk.now), pam.WithTokenSource(src))
	if err != nil {
		return nil, err
	}
	a := new(attempts)
	return &device{user: user, c: c, hc: &http.Client{Transport: c.Transport(a)}, emu: emu, attempts: a}, nil
}

// publish publishes msg to room-1 and prints the answer.
func (d *device) publish(ctx context.Context, w io.Writer, msg string) error {
	k := d.emu.Keys()
	u := d.emu.URL + "/publish/" + k.Publish + "/" + k.Subscribe + "/0/room-1/0/" +
		url.PathEscape(`"`+msg+`"`) + "?uuid=" + url.QueryEscape(d.user)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		fmt.Fprintf(w, "   %s publishes %q: %v\n", d.user, msg, err)
		return nil
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	fmt.Fprintf(w, "   %s publishes %q: PubNub answers %s\n", d.user, msg, d.attempts.take())
	return nil
}

// grants prints how many grants the cache has sent so far.
func grants(w io.Writer, cache *pam.GrantCache, why string) {
	fmt.Fprintf(w, "   grants sent to Access Manager: %d (%s)\n", cache.Stats().Grants, why)
}

func run(ctx context.Context, w io.Writer) error {
	clk := new(clock)
	clk.ns.Store(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	emu := pamtest.NewServer(pamtest.WithClock(clk.now))
	defer emu.Close()

	// The application server: a grant cache in front of its pam client
	// (which holds the secret key), and the token endpoint.
	cache, err := pam.NewGrantCache(emu.Client(pam.WithUserID("app-server")), pam.CacheConfig{GrantsPerSecond: 20, Burst: 5})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/pubnub-token", pam.TokenHandler(cache, authorize))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	endpoint := "http://" + ln.Addr().String() + "/pubnub-token"

	fmt.Fprintln(w, "1. What the token endpoint answers")
	if err := showAnswers(ctx, w, endpoint); err != nil {
		return err
	}

	fmt.Fprintln(w, "\n2. A device fetches its token and publishes")
	d, err := newDevice(emu, endpoint, "user-1", credentials("user-1"), clk)
	if err != nil {
		return err
	}
	for _, msg := range []string{"hello", "again"} {
		if err := d.publish(ctx, w, msg); err != nil {
			return err
		}
	}
	grants(w, cache, "the token of step 1, from the cache")

	fmt.Fprintln(w, "\n3. A login storm: 200 devices of 20 users fetch at once")
	if err := storm(ctx, endpoint); err != nil {
		return err
	}
	grants(w, cache, "one more per user; at most 20 a second, as CacheConfig says")

	fmt.Fprintln(w, "\n4. The server revokes user-1's token through the cache")
	if err := cache.RevokeToken(ctx, d.c.Token()); err != nil {
		return err
	}
	clk.add(time.Minute)
	fmt.Fprintln(w, "   (a minute later)")
	if err := d.publish(ctx, w, "still here"); err != nil {
		return err
	}
	grants(w, cache, "the 403 said \"Token is revoked\": one refresh through the endpoint, the publish sent again")

	fmt.Fprintln(w, "\n5. Near expiry the device refreshes before its next call")
	clk.add(14*time.Minute + 30*time.Second)
	fmt.Fprintln(w, "   (14m30s later: 30s of the token's 15 minutes left, less than the device's 1 minute)")
	if err := d.publish(ctx, w, "on time"); err != nil {
		return err
	}
	grants(w, cache, "less than half its life left in the cache too: granted again")

	fmt.Fprintln(w, "\n6. A device without credentials")
	anon, err := newDevice(emu, endpoint, "user-2", &http.Client{Timeout: 10 * time.Second}, clk)
	if err != nil {
		return err
	}
	return anon.publish(ctx, w, "let me in")
}

// credentials is an HTTP client that signs in as user.
func credentials(user string) *http.Client {
	return &http.Client{Transport: withUser{user}, Timeout: 10 * time.Second}
}

// showAnswers prints the endpoint's answer to a signed-in user, to someone
// without a session and to a user the policy refuses.
func showAnswers(ctx context.Context, w io.Writer, endpoint string) error {
	for _, user := range []string{"user-1", "", "mallory"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return err
		}
		if user != "" {
			req.Header.Set("X-User", user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil {
			return err
		}
		text := strings.TrimSpace(string(body))
		if i := strings.Index(text, `"token":"`); i >= 0 { // cut the token short: it is a credential
			i += len(`"token":"`)
			j := i + strings.IndexByte(text[i:], '"')
			text = text[:i+12] + "…" + text[j:]
		}
		fmt.Fprintf(w, "   X-User %-9q → %d %s\n", user, resp.StatusCode, text)
	}
	return nil
}

// storm has 10 devices of each of 20 users fetch their tokens at once.
func storm(ctx context.Context, endpoint string) error {
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := pam.HTTPTokenSource(endpoint, credentials(fmt.Sprintf("user-%d", 100+i%20))).Token(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
