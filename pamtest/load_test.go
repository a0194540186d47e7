package pamtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentLoad: 64 goroutines grant, publish, revoke and read at
// once through one shared pam.Client. Every revocation holds afterwards,
// and when many goroutines revoke the same token, exactly one succeeds.
func TestConcurrentLoad(t *testing.T) {
	t.Parallel()
	const (
		workers = 64
		rounds  = 8
		shared  = 16 // tokens everyone revokes at once
	)
	s := newTestServer(t)
	c := s.Client(pam.WithHTTPClient(testHTTP))
	ctx := context.Background()

	sharedTokens := make([]string, shared)
	for i := range sharedTokens {
		tok, err := c.GrantToken(ctx, pam.NewTokenRequest(time.Hour).Channel(fmt.Sprintf("shared-%d", i), pam.Write))
		require.NoError(t, err)
		sharedTokens[i] = tok
	}
	var sharedWins [shared]atomic.Int32

	var (
		mu      sync.Mutex
		revoked []string
		kept    []string
	)
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*8)
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fail := func(format string, a ...any) { errs <- fmt.Errorf("worker %d: "+format, append([]any{w}, a...)...) }
			for r := range rounds {
				ch := fmt.Sprintf("ch-%d-%d", w, r)
				uid := fmt.Sprintf("user-%d", w)
				tok, err := c.GrantToken(ctx, pam.NewTokenRequest(time.Hour).AuthorizedUUID(uid).Channel(ch, pam.Read|pam.Write))
				if err != nil {
					fail("grant: %v", err)
					return
				}
				if res := publishRaw(t, s, ch, `"m"`, tok, uid); res.status != http.StatusOK {
					fail("publish: %d %s", res.status, res.body)
				}
				if res := historyRaw(t, s, ch, tok, uid); res.status != http.StatusOK {
					fail("history: %d %s", res.status, res.body)
				}
				// Every worker tries to revoke the same shared token.
				i := (w + r) % shared
				if err := c.RevokeToken(ctx, sharedTokens[i]); err == nil {
					sharedWins[i].Add(1)
				} else {
					var apiErr *pam.APIError
					if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || len(apiErr.Details) != 1 || apiErr.Details[0].Message != "Token is revoked." {
						fail("shared revoke: %v", err)
					}
				}
				if r%2 == 1 { // keep every other token
					mu.Lock()
					kept = append(kept, tok)
					mu.Unlock()
					continue
				}
				if err := c.RevokeToken(ctx, tok); err != nil {
					fail("revoke: %v", err)
					continue
				}
				mu.Lock()
				revoked = append(revoked, tok)
				mu.Unlock()
				if res := publishRaw(t, s, ch, `"m"`, tok, uid); res.status != http.StatusForbidden || string(res.body) != bodyRevoked {
					fail("publish after revoke: %d %s", res.status, res.body)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	require.Len(t, revoked, workers*rounds/2)
	require.Len(t, kept, workers*rounds/2)
	for i := range sharedWins {
		assert.Equal(t, int32(1), sharedWins[i].Load(), "shared token %d revoked exactly once", i)
	}
	// No revocation lost: every revoked token is refused, every kept one
	// still works.
	for _, tok := range append(revoked, sharedTokens...) {
		err := c.RevokeToken(ctx, tok)
		var apiErr *pam.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "Token is revoked.", apiErr.Details[0].Message)
		assert.True(t, s.h.isRevoked(mustSig(t, s, tok)))
	}
	for _, tok := range kept {
		assert.False(t, s.h.isRevoked(mustSig(t, s, tok)))
	}
}

// mustSig returns the signature of a token minted by s.
func mustSig(t *testing.T, s *Server, tok string) []byte {
	t.Helper()
	d, fault := s.h.decodeToken(tok)
	require.Equal(t, tokenOK, fault)
	return d.Sig
}
