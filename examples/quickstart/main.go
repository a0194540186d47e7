// Command quickstart grants a token, parses it, shows an allowed and a
// denied call with the reason, revokes the token and shows the refusal.
//
//	go run ./examples/quickstart
//
// It runs against pamtest, the Access Manager emulator, started in
// process. With PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY and PAM_SECRET_KEY set
// it runs against the real service instead (PAM_ORIGIN overrides the
// origin, ps.pndsn.com by default); the keyset needs Access Manager and
// token revocation enabled.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// The user, channels and pattern of the walkthrough.
const (
	userID       = "user-1"
	roomChannel  = "room-1"
	lobbyChannel = "lobby-42"
	lobbyPattern = "^lobby-[a-z0-9]+$"
)

// env holds what run needs to reach the service or the emulator.
type env struct {
	keys   pam.Keys
	base   string // scheme://host of the service, for the publish calls
	opts   []pam.Option
	target string
}

// setup picks the real service when the three key variables are set, and
// otherwise starts the emulator; stop releases it.
func setup(getenv func(string) string) (e env, stop func()) {
	keys := pam.Keys{Subscribe: getenv("PAM_SUBSCRIBE_KEY"), Publish: getenv("PAM_PUBLISH_KEY"), Secret: getenv("PAM_SECRET_KEY")}
	if keys.Subscribe == "" || keys.Publish == "" || keys.Secret == "" {
		s := pamtest.NewServer()
		return env{
			keys:   s.Keys(),
			base:   s.URL,
			opts:   []pam.Option{pam.WithOrigin(s.URL)},
			target: "the pamtest emulator at " + s.URL + "\n(set PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY and PAM_SECRET_KEY to use the real service)",
		}, s.Close
	}
	origin := getenv("PAM_ORIGIN")
	if origin == "" {
		origin = "ps.pndsn.com"
	}
	base := origin
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	return env{
		keys:   keys,
		base:   strings.TrimSuffix(base, "/"),
		opts:   []pam.Option{pam.WithOrigin(origin)},
		target: "PubNub at " + origin + " (keys from PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY, PAM_SECRET_KEY)",
	}, func() {}
}

// run is the walkthrough, writing to w.
func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	e, stop := setup(getenv)
	defer stop()
	fmt.Fprintf(w, "pam quickstart against %s\n\n", e.target)

	server, err := pam.New(e.keys, append(e.opts, pam.WithUserID("quickstart-server"))...)
	if err != nil {
		return err
	}

	// 1. Grant.
	req := pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID(userID).
		Channel(roomChannel, pam.Read|pam.Write).
		ChannelPattern(lobbyPattern, pam.Read).
		Meta("plan", "pro")
	fmt.Fprintf(w, "1. Grant a 15 minute token to %s: %s read+write, pattern %s read\n", userID, roomChannel, lobbyPattern)
	token, err := server.GrantToken(ctx, req)
	if err != nil {
		return fmt.Errorf("grant: %w", err)
	}
	fmt.Fprintf(w, "   token: %s… (%d characters)\n\n", token[:16], len(token))

	// 2. Parse.
	tok, err := pam.ParseToken(token)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	fmt.Fprintln(w, "2. Parsed token")
	printToken(w, tok)
	fmt.Fprintln(w)

	// The device holds only the subscribe key and its token; its HTTP
	// client adds auth=<token> to every call to the service.
	device, err := pam.New(pam.Keys{Subscribe: e.keys.Subscribe}, append(e.opts, pam.WithUserID(userID))...)
	if err != nil {
		return err
	}
	device.SetToken(token)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: device.Transport(nil)}

	// 3. An allowed call.
	fmt.Fprintf(w, "3. %s publishes to %s\n", userID, roomChannel)
	check(w, tok, roomChannel)
	publish(ctx, w, hc, e, roomChannel)
	fmt.Fprintln(w)

	// 4. A denied call.
	fmt.Fprintf(w, "4. %s publishes to %s (the pattern grants read, not write)\n", userID, lobbyChannel)
	check(w, tok, lobbyChannel)
	publish(ctx, w, hc, e, lobbyChannel)
	fmt.Fprintln(w)

	// 5. Revoke.
	fmt.Fprintln(w, "5. Revoke the token")
	if err := server.RevokeToken(ctx, token); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	fmt.Fprintln(w, "   revoked")
	fmt.Fprintln(w)

	// 6. The revoked token is refused.
	fmt.Fprintf(w, "6. %s publishes to %s again\n", userID, roomChannel)
	publish(ctx, w, hc, e, roomChannel)
	return nil
}

// printToken prints the parsed token's fields, one per line, aligned.
func printToken(w io.Writer, t *pam.Token) {
	var rows [][2]string
	add := func(label, value string) { rows = append(rows, [2]string{label, value}) }
	add("version", fmt.Sprint(t.Version))
	add("issued at", t.IssuedAt.UTC().Format(time.RFC3339))
	add("ttl", fmt.Sprintf("%s (expires %s)", t.TTL, t.ExpiresAt().UTC().Format(time.RFC3339)))
	add("authorized uuid", t.AuthorizedUUID)
	for _, g := range []struct {
		what string
		m    map[string]pam.Permission
	}{
		{"channel", t.Resources.Channels}, {"channel pattern", t.Patterns.Channels},
		{"group", t.Resources.ChannelGroups}, {"group pattern", t.Patterns.ChannelGroups},
		{"uuid", t.Resources.UUIDs}, {"uuid pattern", t.Patterns.UUIDs},
	} {
		for _, n := range slices.Sorted(maps.Keys(g.m)) {
			add(g.what+" "+n, g.m[n].String())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Meta)) {
		add("meta "+k, fmt.Sprint(t.Meta[k]))
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0])+1)
	}
	for _, r := range rows {
		fmt.Fprintf(w, "   %-*s %s\n", width, r[0]+":", r[1])
	}
}

// check prints what the token itself says about publishing to ch.
func check(w io.Writer, tok *pam.Token, ch string) {
	err := tok.Authorize(pam.Access{Type: pam.Channel, Name: ch, Permission: pam.Write, UUID: userID})
	if err == nil {
		fmt.Fprintln(w, "   local check (Token.Authorize): allowed")
		return
	}
	fmt.Fprintf(w, "   local check (Token.Authorize): denied: %v\n", err)
}

// publish sends a publish through hc, whose transport adds the token as
// auth=, and prints the answer.
func publish(ctx context.Context, w io.Writer, hc *http.Client, e env, ch string) {
	u := e.base + "/publish/" + url.PathEscape(e.keys.Publish) + "/" + url.PathEscape(e.keys.Subscribe) +
		"/0/" + url.PathEscape(ch) + "/0/" + url.PathEscape(`{"text":"hello"}`) +
		"?" + url.Values{"uuid": {userID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintf(w, "   service: cannot build the request: %v\n", err)
		return
	}
	res, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL carries the token
		}
		fmt.Fprintf(w, "   service: request failed: %v\n", err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	fmt.Fprintf(w, "   service: %d %s\n", res.StatusCode, describe(res.StatusCode, body))
}

// describe summarizes a publish answer: the timetoken of a success, the
// message (and channels) of an Access Manager error.
func describe(status int, body []byte) string {
	if status == http.StatusOK {
		var sent []any
		if json.Unmarshal(body, &sent) == nil && len(sent) == 3 {
			return fmt.Sprintf("%v (timetoken %v)", sent[1], sent[2])
		}
		return string(body)
	}
	var e struct {
		Message string `json:"message"`
		Payload struct {
			Channels []string `json:"channels"`
		} `json:"payload"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return string(body)
	}
	if len(e.Payload.Channels) > 0 {
		return fmt.Sprintf("%s (channels: %s)", e.Message, strings.Join(e.Payload.Channels, ", "))
	}
	return e.Message
}
