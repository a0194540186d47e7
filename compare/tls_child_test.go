package compare

// The load generator of BenchmarkTLS, run in a subprocess (the test binary
// itself, see TestMain) so that each SDK trusts the test server's
// certificate the way its defaults allow, through SSL_CERT_FILE, and
// starts with a cold connection pool and TLS session cache.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pamkit/pam"
	pubnub "github.com/pubnub/go/v7"
)

// childEnv carries a childConfig, as JSON, to the subprocess.
const childEnv = "PAM_COMPARE_TLS_CHILD"

// childConfig is one run: one SDK, one operation, InFlight goroutines each
// doing one operation to warm up, then PerSlot operations back to back.
type childConfig struct {
	SDK      string `json:"sdk"` // "official" or "pam"
	Op       string `json:"op"`  // "grant", "revoke" or "publish"
	Origin   string `json:"origin"`
	Keys     keys   `json:"keys"`
	InFlight int    `json:"inFlight"`
	PerSlot  int    `json:"perSlot"`
	Tokens   string `json:"tokens"` // revoke: a file with one token per line, InFlight×(PerSlot+1) of them; publish: the token
	// CPUProfile, if set, is where to write a CPU profile of the run.
	CPUProfile string `json:"cpuProfile"`
}

// keys is pam.Keys with JSON names (pam.Keys redacts nothing in JSON, but
// the child's config is never logged anyway).
type keys struct{ Subscribe, Publish, Secret string }

// childResult is what the subprocess prints.
type childResult struct {
	Ops     int           `json:"ops"`
	Elapsed time.Duration `json:"elapsed"`
	P50     time.Duration `json:"p50"`
	P99     time.Duration `json:"p99"`
	CPU     time.Duration `json:"cpu"` // user+system time of the run, 0 where unknown
}

// runChild runs the load described by cfg and prints a childResult on
// stdout. It returns the process's exit code.
func runChild(cfg string) int {
	var c childConfig
	res, err := func() (childResult, error) {
		if err := json.Unmarshal([]byte(cfg), &c); err != nil {
			return childResult{}, err
		}
		op, err := newOperation(c)
		if err != nil {
			return childResult{}, err
		}
		if c.CPUProfile != "" {
			stop, err := startProfile(c.CPUProfile)
			if err != nil {
				return childResult{}, err
			}
			defer stop()
		}
		return load(c.InFlight, c.PerSlot, op)
	}()
	if err != nil {
		fmt.Fprintf(os.Stderr, "compare child %s %s: %v\n", c.SDK, c.Op, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

// operation does the i-th operation of slot.
type operation func(ctx context.Context, slot, i int) error

// load runs inFlight goroutines doing one operation each, the warm-up,
// then perSlot operations each, all started together, and measures the
// second phase and each of its operations: what a token server that has
// been running a while sees. The warm-up opens the first connections; they
// are counted all the same, by the server.
func load(inFlight, perSlot int, op operation) (childResult, error) {
	if _, err := phase(inFlight, 0, 1, op); err != nil {
		return childResult{}, fmt.Errorf("warm-up: %w", err)
	}
	cpu0 := cpuTime()
	t0 := time.Now()
	lat, err := phase(inFlight, 1, perSlot, op)
	elapsed := time.Since(t0)
	cpu := cpuTime() - cpu0
	if err != nil {
		return childResult{}, err
	}
	slices.Sort(lat)
	return childResult{Ops: len(lat), Elapsed: elapsed, P50: percentile(lat, 50), P99: percentile(lat, 99), CPU: cpu}, nil
}

// phase runs inFlight goroutines doing operations first to first+n-1 of
// their slot, back to back, and returns the latency of each operation.
func phase(inFlight, first, n int, op operation) ([]time.Duration, error) {
	ctx := context.Background()
	lat := make([]time.Duration, inFlight*n)
	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	for slot := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				t0 := time.Now()
				if err := op(ctx, slot, first+i); err != nil {
					errs[slot] = err
					return
				}
				lat[slot*n+i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return lat, errors.Join(errs...)
}

// percentile returns the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}

// newOperation builds the client of cfg.SDK, on its default settings, and
// returns its operation.
func newOperation(cfg childConfig) (operation, error) {
	var tokens []string
	if cfg.Op == "revoke" {
		var err error
		if tokens, err = readLines(cfg.Tokens); err != nil {
			return nil, err
		}
		if len(tokens) < cfg.InFlight*(cfg.PerSlot+1) {
			return nil, fmt.Errorf("%d tokens for %d revokes", len(tokens), cfg.InFlight*(cfg.PerSlot+1))
		}
	}
	token := func(slot, i int) string { return tokens[slot*(cfg.PerSlot+1)+i] }
	switch cfg.SDK + "/" + cfg.Op {
	case "official/grant":
		pn := childOfficial(cfg, "server-1", true)
		return func(context.Context, int, int) error { return grantOfficial(pn) }, nil
	case "pam/grant":
		c, err := childPam(cfg, "server-1", true)
		return func(ctx context.Context, _, _ int) error { return grantPam(ctx, c) }, err
	case "official/revoke":
		pn := childOfficial(cfg, "server-1", true)
		return func(_ context.Context, slot, i int) error {
			_, _, err := pn.RevokeToken().Token(token(slot, i)).Execute()
			return err
		}, nil
	case "pam/revoke":
		c, err := childPam(cfg, "server-1", true)
		return func(ctx context.Context, slot, i int) error { return c.RevokeToken(ctx, token(slot, i)) }, err
	case "official/publish":
		pn := childOfficial(cfg, "user-1", false)
		pn.SetToken(cfg.Tokens)
		return func(context.Context, int, int) error {
			_, _, err := pn.Publish().Channel("room-1").Message("hi").Execute()
			return err
		}, nil
	case "pam/publish":
		return pamPublish(cfg)
	}
	return nil, fmt.Errorf("unknown SDK or operation %q/%q", cfg.SDK, cfg.Op)
}

// childOfficial returns the official SDK on its default configuration, over
// TLS to cfg.Origin; with secret, it has the secret key (a token server),
// else only the subscribe and publish keys (a device).
func childOfficial(cfg childConfig, userID string, secret bool) *pubnub.PubNub {
	pc := pubnub.NewConfigWithUserId(pubnub.UserId(userID))
	pc.SubscribeKey, pc.PublishKey = cfg.Keys.Subscribe, cfg.Keys.Publish
	if secret {
		pc.SecretKey = cfg.Keys.Secret
	}
	pc.Origin, pc.Secure = cfg.Origin, true
	return pubnub.NewPubNub(pc)
}

// childPam returns a pam client on its default settings, over TLS to
// cfg.Origin; with secret, it has all three keys (a token server), else
// only the subscribe key (a device).
func childPam(cfg childConfig, userID string, secret bool) (*pam.Client, error) {
	k := pam.Keys{Subscribe: cfg.Keys.Subscribe}
	if secret {
		k.Publish, k.Secret = cfg.Keys.Publish, cfg.Keys.Secret
	}
	return pam.New(k, pam.WithUserID(userID), pam.WithOrigin(cfg.Origin))
}

// pamPublish publishes the way a device using pam would: a plain GET of
// the publish URL through an http.Client whose transport is the client's
// Transport(nil), which adds the token.
func pamPublish(cfg childConfig) (operation, error) {
	c, err := childPam(cfg, "user-1", false)
	if err != nil {
		return nil, err
	}
	c.SetToken(cfg.Tokens)
	hc := &http.Client{Transport: c.Transport(nil), Timeout: 10 * time.Second}
	prefix := "https://" + cfg.Origin + "/publish/" + cfg.Keys.Publish + "/" + cfg.Keys.Subscribe + "/0/"
	return func(ctx context.Context, _, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, prefix+"room-1/0/%22hi%22?uuid=user-1", nil)
		if err != nil {
			return err
		}
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `[1,"Sent"`) {
			return fmt.Errorf("publish: %d %s", res.StatusCode, body)
		}
		return nil
	}, nil
}

// startProfile starts a CPU profile written to path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}
