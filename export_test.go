package pam

import (
	"context"
	"time"
)

// SetGrantCacheSleep replaces how g's shared grants wait (for the rate
// limit, and for the next second when the service answers with a revoked
// token), so that tests in package pam_test can move a fake clock instead.
// Call it before g is used.
func SetGrantCacheSleep(g *GrantCache, sleep func(ctx context.Context, d time.Duration) error) {
	g.sleep = sleep
}
