package pam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
)

// exampleNow is the examples' fixed clock, shared by the emulator and the
// clients.
func exampleNow() time.Time { return time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC) }

// A login storm: a hundred devices of one user ask for the same token at
// once, and the service sees one grant.
func ExampleNewGrantCache() {
	emu := pamtest.NewServer(pamtest.WithClock(exampleNow))
	defer emu.Close()
	cache, err := pam.NewGrantCache(emu.Client(), pam.CacheConfig{MinRemaining: 5 * time.Minute, GrantsPerSecond: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := pam.NewTokenRequest(15*time.Minute).AuthorizedUUID("user-1").Channel("room-1", pam.Read|pam.Write)
			if _, err := cache.GrantToken(context.Background(), req); err != nil {
				fmt.Println(err)
			}
		}()
	}
	wg.Wait()
	s := cache.Stats()
	fmt.Printf("calls: %d, grants sent: %d, tokens cached: %d\n", s.Hits+s.Shared+s.Misses, s.Grants, s.Entries)
	// Output:
	// calls: 100, grants sent: 1, tokens cached: 1
}

// exampleAuthorize stands for an application's session check. Here the
// session cookie holds the user's name; a real one looks the session up.
func exampleAuthorize(r *http.Request) (*pam.TokenRequest, error) {
	session, err := r.Cookie("session")
	if err != nil {
		return nil, fmt.Errorf("no session: %w", pam.ErrUnauthenticated)
	}
	user := session.Value
	return pam.NewTokenRequest(15*time.Minute).AuthorizedUUID(user).Channel("room-1", pam.Read|pam.Write), nil
}

// A token endpoint: a signed-in caller gets a token as JSON, anyone else a
// 401.
func ExampleTokenHandler() {
	emu := pamtest.NewServer(pamtest.WithClock(exampleNow))
	defer emu.Close()
	cache, err := pam.NewGrantCache(emu.Client(), pam.CacheConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	endpoint := httptest.NewServer(pam.TokenHandler(cache, exampleAuthorize))
	defer endpoint.Close()

	for _, user := range []string{"user-1", ""} {
		req, err := http.NewRequest(http.MethodGet, endpoint.URL+"/pubnub-token", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		if user != "" {
			req.AddCookie(&http.Cookie{Name: "session", Value: user})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		var ans struct {
			Token     string `json:"token"`
			ExpiresAt string `json:"expires_at"`
			TTL       int    `json:"ttl"`
			Error     string `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		if ans.Error != "" {
			fmt.Printf("  error: %s\n", ans.Error)
			continue
		}
		tok, err := pam.ParseToken(ans.Token)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("  token for %s, expires_at %s, ttl %d\n", tok.AuthorizedUUID, ans.ExpiresAt, ans.TTL)
	}
	// Output:
	// 200 application/json no-store
	//   token for user-1, expires_at 2026-01-02T09:15:00Z, ttl 15
	// 401 application/json no-store
	//   error: unauthenticated
}

// A device gets its token from the token endpoint, with the session cookie
// in its HTTP client's jar, and publishes through Client.Transport.
func ExampleHTTPTokenSource() {
	emu := pamtest.NewServer(pamtest.WithClock(exampleNow))
	defer emu.Close()
	cache, err := pam.NewGrantCache(emu.Client(), pam.CacheConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	endpoint := httptest.NewServer(pam.TokenHandler(cache, exampleAuthorize))
	defer endpoint.Close()

	// The device: its session cookie, from signing in, is in its HTTP
	// client's jar (a Transport that adds a header works too).
	jar, err := cookiejar.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := url.Parse(endpoint.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "user-1"}})
	creds := &http.Client{Jar: jar}
	src := pam.ReuseTokenSource(pam.HTTPTokenSource(endpoint.URL+"/pubnub-token", creds), time.Minute)
	device, err := pam.New(pam.Keys{Subscribe: emu.Keys().Subscribe},
		pam.WithOrigin(emu.URL), pam.WithUserID("user-1"), pam.WithClock(exampleNow), pam.WithTokenSource(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := &http.Client{Transport: device.Transport(nil)}
	k := emu.Keys()
	resp, err := hc.Get(emu.URL + "/publish/" + k.Publish + "/" + k.Subscribe + "/0/room-1/0/" + url.PathEscape(`"hi"`) + "?uuid=user-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tok, err := pam.ParseToken(device.Token())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("publish:", resp.StatusCode)
	fmt.Println("token for", tok.AuthorizedUUID, "until", tok.ExpiresAt().Format(time.TimeOnly))
	// Output:
	// publish: 200
	// token for user-1 until 09:15:00
}
