package compare

// Side-by-side benchmarks: the official Go SDK (github.com/pubnub/go/v7)
// and pam doing identical work in one process. Each benchmark has an
// "official" and a "pam" sub-benchmark, run back to back; bench.sh runs
// the whole set several times (rounds interleave the two) and prints the
// medians as one table. CI runs each benchmark once (-benchtime=1x) so they
// never rot; nothing here asserts a timing.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/vectors"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	pubnub "github.com/pubnub/go/v7"
)

// benchKeys is the keyset both SDKs sign with. The canned servers below do
// not verify signatures: the benchmarks measure each SDK's own overhead.
var benchKeys = pam.Keys{Subscribe: "sub-c-bench", Publish: "pub-c-bench", Secret: "sec-c-bench"}

// vector returns the token vector id of ../testdata/tokens.json, or the
// longest decodable one for "largest".
func vector(b *testing.B, id string) string {
	b.Helper()
	return vectors.TokenByID(b, id).Token
}

// BenchmarkParse decodes the contract token (tok01) and the largest token
// among the vectors (tok28, with nested meta) with each SDK's ParseToken.
func BenchmarkParse(b *testing.B) {
	for _, id := range []string{"tok01", "largest"} {
		token := vector(b, id)
		b.Run("official/"+id, func(b *testing.B) {
			benchParseOfficial(b, token)
		})
		b.Run("pam/"+id, func(b *testing.B) {
			benchParsePam(b, token)
		})
	}
}

func benchParseOfficial(b *testing.B, token string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pubnub.ParseToken(token); err != nil {
			b.Fatal(err)
		}
	}
}

func benchParsePam(b *testing.B, token string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pam.ParseToken(token); err != nil {
			b.Fatal(err)
		}
	}
}

// grantAnswer is the service's answer to a grant (wire.md §4.1), with the
// contract token.
func grantAnswer(b *testing.B) []byte {
	return []byte(`{"data":{"message":"Success","token":"` + vector(b, "tok01") + `"},"service":"Access Manager","status":200}`)
}

// cannedTransport answers every request with the grant answer, without a
// network: it reads the request body, as a transport would, and returns a
// fresh response.
type cannedTransport struct{ answer []byte }

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(string(t.answer))),
		ContentLength: int64(len(t.answer)),
		Request:       req,
	}, nil
}

// cannedServer is an httptest server on loopback that answers every request
// with the grant answer.
func cannedServer(b *testing.B) *httptest.Server {
	answer := grantAnswer(b)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	b.Cleanup(s.Close)
	return s
}

// officialClient returns the official SDK with its default configuration,
// pointed at origin (host:port, plain http) or, with hc, sending through hc.
func officialClient(b *testing.B, origin string, hc *http.Client) *pubnub.PubNub {
	cfg := pubnub.NewConfigWithUserId(pubnub.UserId("server-1"))
	cfg.SubscribeKey, cfg.PublishKey, cfg.SecretKey = benchKeys.Subscribe, benchKeys.Publish, benchKeys.Secret
	cfg.Origin, cfg.Secure = origin, false
	pn := pubnub.NewPubNub(cfg)
	if hc != nil {
		pn.SetClient(hc)
	}
	b.Cleanup(pn.Destroy)
	return pn
}

// pamClient returns a pam client pointed at origin with the given options.
func pamClient(b *testing.B, origin string, opts ...pam.Option) *pam.Client {
	c, err := pam.New(benchKeys, append([]pam.Option{pam.WithUserID("server-1"), pam.WithOrigin(origin)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// officialGrant and grantPam make the same grant: one channel, group, uuid
// and channel pattern, an authorized uuid and two meta entries. The request
// is built inside the call, as a program would build it. The interop tests
// send the same grant to the emulator.
func officialGrant(pn *pubnub.PubNub) (*pubnub.PNGrantTokenResponse, pubnub.StatusResponse, error) {
	return pn.GrantToken().
		TTL(15).
		AuthorizedUUID("user-1").
		Channels(map[string]pubnub.ChannelPermissions{"room-1": {Read: true, Write: true}}).
		ChannelGroups(map[string]pubnub.GroupPermissions{"friends": {Read: true}}).
		UUIDs(map[string]pubnub.UUIDPermissions{"user-1": {Get: true, Update: true}}).
		ChannelsPattern(map[string]pubnub.ChannelPermissions{"^lobby-[a-z]+$": {Read: true}}).
		Meta(map[string]interface{}{"plan": "pro", "seats": 3}).
		Execute()
}

// grantOfficial is officialGrant with its result checked.
func grantOfficial(pn *pubnub.PubNub) error {
	res, _, err := officialGrant(pn)
	if err != nil {
		return err
	}
	if res.Data.Token == "" {
		return fmt.Errorf("no token")
	}
	return nil
}

func grantPam(ctx context.Context, c *pam.Client) error {
	tok, err := c.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).
		AuthorizedUUID("user-1").
		Channel("room-1", pam.Read|pam.Write).
		ChannelGroup("friends", pam.Read).
		UUID("user-1", pam.Get|pam.Update).
		ChannelPattern("^lobby-[a-z]+$", pam.Read).
		Meta("plan", "pro").Meta("seats", 3))
	if err != nil {
		return err
	}
	if tok == "" {
		return fmt.Errorf("no token")
	}
	return nil
}

// BenchmarkGrantInMemory grants one token through an http.RoundTripper
// that answers from memory: SDK overhead only (building, signing and
// sending the request, reading the answer).
func BenchmarkGrantInMemory(b *testing.B) {
	hc := &http.Client{Transport: cannedTransport{grantAnswer(b)}}
	b.Run("official", func(b *testing.B) {
		pn := officialClient(b, "pam.invalid", hc)
		b.ReportAllocs()
		for b.Loop() {
			if err := grantOfficial(pn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pam", func(b *testing.B) {
		c := pamClient(b, "http://pam.invalid", pam.WithHTTPClient(hc))
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := grantPam(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGrantLoopback grants one token from an httptest server on
// loopback that answers with a canned token, each SDK with its default
// HTTP client.
func BenchmarkGrantLoopback(b *testing.B) {
	s := cannedServer(b)
	b.Run("official", func(b *testing.B) {
		pn := officialClient(b, strings.TrimPrefix(s.URL, "http://"), nil)
		b.ReportAllocs()
		for b.Loop() {
			if err := grantOfficial(pn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pam", func(b *testing.B) {
		c := pamClient(b, s.URL)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := grantPam(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGrantLoopbackParallel is BenchmarkGrantLoopback from
// GOMAXPROCS goroutines sharing one client (b.RunParallel); ns/op is the
// inverse of throughput.
func BenchmarkGrantLoopbackParallel(b *testing.B) {
	s := cannedServer(b)
	b.Run("official", func(b *testing.B) {
		pn := officialClient(b, strings.TrimPrefix(s.URL, "http://"), nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := grantOfficial(pn); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("pam", func(b *testing.B) {
		c := pamClient(b, s.URL)
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := grantPam(ctx, c); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// scaleSizes are the resource counts of BenchmarkScaling.
var scaleSizes = []int{1, 10, 100, 1000}

// scaleNames returns n channel names.
func scaleNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("room-%04d", i)
	}
	return names
}

// scaledTokens mints, once, a token with n channels for each scale size,
// with the emulator (the real token format).
var scaledTokens = sync.OnceValues(func() (map[int]string, error) {
	s := pamtest.NewServer()
	defer s.Close()
	c := s.Client()
	out := map[int]string{}
	for _, n := range scaleSizes {
		r := pam.NewTokenRequest(time.Hour).AuthorizedUUID("user-1")
		for _, name := range scaleNames(n) {
			r.Channel(name, pam.Read|pam.Write)
		}
		tok, err := c.GrantToken(context.Background(), r)
		if err != nil {
			return nil, err
		}
		out[n] = tok
	}
	return out, nil
})

// BenchmarkScaling grants and parses tokens with 1, 10, 100 and 1000
// channels, to show that the cost grows linearly with the number of
// resources. Grants go through the in-memory transport; the grant request
// is built from a list of names inside the loop by both SDKs.
func BenchmarkScaling(b *testing.B) {
	hc := &http.Client{Transport: cannedTransport{grantAnswer(b)}}
	for _, n := range scaleSizes {
		names := scaleNames(n)
		b.Run(fmt.Sprintf("grant/%d/official", n), func(b *testing.B) {
			pn := officialClient(b, "pam.invalid", hc)
			b.ReportAllocs()
			for b.Loop() {
				chans := make(map[string]pubnub.ChannelPermissions, len(names))
				for _, name := range names {
					chans[name] = pubnub.ChannelPermissions{Read: true, Write: true}
				}
				if _, _, err := pn.GrantToken().TTL(60).AuthorizedUUID("user-1").Channels(chans).Execute(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("grant/%d/pam", n), func(b *testing.B) {
			c := pamClient(b, "http://pam.invalid", pam.WithHTTPClient(hc))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				r := pam.NewTokenRequest(time.Hour).AuthorizedUUID("user-1")
				for _, name := range names {
					r.Channel(name, pam.Read|pam.Write)
				}
				if _, err := c.GrantToken(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("parse/%d/official", n), func(b *testing.B) {
			benchParseOfficial(b, scaledToken(b, n))
		})
		b.Run(fmt.Sprintf("parse/%d/pam", n), func(b *testing.B) {
			benchParsePam(b, scaledToken(b, n))
		})
	}
}

func scaledToken(b *testing.B, n int) string {
	b.Helper()
	toks, err := scaledTokens()
	if err != nil {
		b.Fatal(err)
	}
	return toks[n]
}
