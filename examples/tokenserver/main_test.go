package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun runs the walkthrough: token endpoint, grant cache, devices and
// the emulator, and checks everything it prints.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	require.NoError(t, run(ctx, &out))
	want := `1. What the token endpoint answers
   X-User "user-1"  → 200 {"token":"qEF2AkF0GmlX…","expires_at":"2026-01-02T09:15:00Z","ttl":15}
   X-User ""        → 401 {"error":"unauthenticated"}
   X-User "mallory" → 403 {"error":"forbidden"}

2. A device fetches its token and publishes
   user-1 publishes "hello": PubNub answers 200
   user-1 publishes "again": PubNub answers 200
   grants sent to Access Manager: 1 (the token of step 1, from the cache)

3. A login storm: 200 devices of 20 users fetch at once
   grants sent to Access Manager: 21 (one more per user; at most 20 a second, as CacheConfig says)

4. The server revokes user-1's token through the cache
   (a minute later)
   user-1 publishes "still here": PubNub answers 403, then 200
   grants sent to Access Manager: 22 (the 403 said "Token is revoked": one refresh through the endpoint, the publish sent again)

5. Near expiry the device refreshes before its next call
   (14m30s later: 30s of the token's 15 minutes left, less than the device's 1 minute)
   user-1 publishes "on time": PubNub answers 200
   grants sent to Access Manager: 23 (less than half its life left in the cache too: granted again)

6. A device without credentials
   user-2 publishes "let me in": pam: token source: token endpoint: answered 401 Unauthorized: unauthenticated
`
	assert.Equal(t, want, out.String())
}
