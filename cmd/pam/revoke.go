package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/pamkit/pam"
)

func defineRevoke(*flag.FlagSet) action { return runRevoke }

func runRevoke(ctx context.Context, pos []string, e *env) int {
	s, code, ok := tokenArg("revoke", pos, e)
	if !ok {
		return code
	}
	c, err := clientFromEnv(e)
	if err != nil {
		return fail(e, err)
	}
	if err := c.RevokeToken(ctx, s); err != nil {
		return fail(e, withHint(err, e))
	}
	fmt.Fprintln(e.stdout, "revoked")
	return exitOK
}

// keyVars are the environment variables that hold the keyset.
var keyVars = [...]string{"PAM_SUBSCRIBE_KEY", "PAM_PUBLISH_KEY", "PAM_SECRET_KEY"}

// keysFromEnv reads the keyset from the environment and names the
// variables that are not set.
func keysFromEnv(e *env) (pam.Keys, []string) {
	k := pam.Keys{Subscribe: e.getenv(keyVars[0]), Publish: e.getenv(keyVars[1]), Secret: e.getenv(keyVars[2])}
	var missing []string
	for i, v := range [...]string{k.Subscribe, k.Publish, k.Secret} {
		if v == "" {
			missing = append(missing, keyVars[i])
		}
	}
	return k, missing
}

// clientFromEnv builds a client from PAM_SUBSCRIBE_KEY, PAM_PUBLISH_KEY,
// PAM_SECRET_KEY and PAM_ORIGIN.
func clientFromEnv(e *env) (*pam.Client, error) {
	keys, missing := keysFromEnv(e)
	if len(missing) > 0 {
		return nil, errors.New("pam: set " + strings.Join(missing, ", ") + " to the keyset's keys (or eval the export lines `pam serve` prints)")
	}
	var opts []pam.Option
	origin := e.getenv("PAM_ORIGIN")
	if origin != "" {
		opts = append(opts, pam.WithOrigin(origin))
	}
	c, err := pam.New(keys, opts...)
	if err != nil && origin != "" {
		return nil, fmt.Errorf("pam: PAM_ORIGIN %s is not an address pam can use; set it to a host such as ps.pndsn.com, host:port, or http://127.0.0.1:8090", quote(origin))
	}
	return c, err
}
