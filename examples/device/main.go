// Command device shows the client side of Access Manager: a device attaches
// its token to every PubNub call through Client.Transport, and refreshes it
// from the application's server when it expires or is revoked.
//
//	go run ./examples/device
//
// It runs offline against pamtest, the Access Manager emulator, started in
// process with a clock the walkthrough moves forward.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "device:", err)
		os.Exit(1)
	}
}

// clock is the walkthrough's clock, shared by the emulator and the clients.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// appServer stands for the application's server: it holds the secret key
// and grants each device a short-lived token. A real device would fetch the
// token over HTTPS from an endpoint that authenticates it.
type appServer struct {
	pam    *pam.Client
	grants atomic.Int32
}

// Token implements pam.TokenSource.
func (s *appServer) Token(ctx context.Context) (string, error) {
	n := s.grants.Add(1)
	return s.pam.GrantToken(ctx, pam.NewTokenRequest(time.Minute).
		AuthorizedUUID("device-1").
		Channel("room-1", pam.Read|pam.Write).
		Meta("grant", n))
}

// device is one device's view: its pam client, an HTTP client using its
// transport, and where to publish.
type device struct {
	c   *pam.Client
	hc  *http.Client
	emu *pamtest.Server
}

// publish publishes msg to room-1 and prints the answer.
func (d *device) publish(ctx context.Context, w io.Writer, msg string) error {
	k := d.emu.Keys()
	u := d.emu.URL + "/publish/" + k.Publish + "/" + k.Subscribe + "/0/room-1/0/" +
		url.PathEscape(`"`+msg+`"`) + "?uuid=device-1" // no auth here: the transport adds it
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return err
	}
	answer := "published"
	if resp.StatusCode != http.StatusOK {
		answer = strings.TrimSpace(string(body))
	}
	fmt.Fprintf(w, "   publish %q: %d %s\n", msg, resp.StatusCode, answer)
	return nil
}

func run(ctx context.Context, w io.Writer) error {
	clk := new(clock)
	clk.ns.Store(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	emu := pamtest.NewServer(pamtest.WithClock(clk.now))
	defer emu.Close()
	app := &appServer{pam: emu.Client(pam.WithUserID("app-server"))}
	subOnly := pam.Keys{Subscribe: emu.Keys().Subscribe} // devices never hold the secret key

	// 1. A token set by hand.
	fmt.Fprintln(w, "1. The device sets a token it got from the app server")
	manual, err := pam.New(subOnly, pam.WithOrigin(emu.URL), pam.WithUserID("device-1"), pam.WithClock(clk.now))
	if err != nil {
		return err
	}
	d := &device{c: manual, hc: &http.Client{Transport: manual.Transport(nil)}, emu: emu}
	if err := d.publish(ctx, w, "before any token"); err != nil {
		return err
	}
	token, err := app.Token(ctx)
	if err != nil {
		return err
	}
	manual.SetToken(token) // the HTTP client above uses it from the next call on
	tok, err := pam.ParseToken(token)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   token for %s, expires %s\n", tok.AuthorizedUUID, tok.ExpiresAt().Format(time.TimeOnly))
	if err := d.publish(ctx, w, "hello"); err != nil {
		return err
	}
	clk.add(2 * time.Minute)
	fmt.Fprintf(w, "   (the clock moves to %s)\n", clk.now().Format(time.TimeOnly))
	if err := d.publish(ctx, w, "still there?"); err != nil {
		return err
	}
	fmt.Fprintln(w)

	// 2. A token source: fetched when needed, refreshed before it expires,
	// and after the service rejects it.
	fmt.Fprintln(w, "2. The device gets its token from a TokenSource")
	auto, err := pam.New(subOnly, pam.WithOrigin(emu.URL), pam.WithUserID("device-1"), pam.WithClock(clk.now),
		pam.WithTokenSource(pam.ReuseTokenSource(app, 10*time.Second)))
	if err != nil {
		return err
	}
	d = &device{c: auto, hc: &http.Client{Transport: auto.Transport(nil)}, emu: emu}
	before := app.grants.Load()
	for _, msg := range []string{"one", "two", "three"} {
		if err := d.publish(ctx, w, msg); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "   grants: %d (one token, reused)\n", app.grants.Load()-before)
	clk.add(2 * time.Minute)
	fmt.Fprintf(w, "   (the clock moves to %s: the token has expired)\n", clk.now().Format(time.TimeOnly))
	if err := d.publish(ctx, w, "four"); err != nil {
		return err
	}
	fmt.Fprintf(w, "   grants: %d (refreshed before sending)\n", app.grants.Load()-before)
	if err := app.pam.RevokeToken(ctx, auto.Token()); err != nil {
		return err
	}
	fmt.Fprintln(w, "   (the app server revokes the device's token)")
	if err := d.publish(ctx, w, "five"); err != nil {
		return err
	}
	fmt.Fprintf(w, "   grants: %d (the 403 \"Token is revoked\" brought a new token; the publish was retried once)\n", app.grants.Load()-before)
	return nil
}
