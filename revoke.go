package pam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// RevokeToken asks the service to revoke token, so that it is refused from
// then on. Revocation must be enabled on the keyset. The token is sent in the
// path with every character other than A-Z a-z 0-9 - _ . percent-encoded.
// An error answer from the service is an *[APIError].
//
// Revocation is idempotent, so it is retried like a grant (see
// [RetryPolicy]). When an attempt may have reached the service before it
// failed (a 5xx answer or a lost connection) and a later attempt is told the
// token is already revoked, RevokeToken returns nil: the token is revoked.
// Told so at the first attempt, it returns the service's error.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	const op = "revoke token"
	if token == "" {
		return opErr(op, fmt.Errorf("%w: pass the token to revoke", ErrMissingToken))
	}
	if problems := c.keyProblems(); len(problems) > 0 {
		return opErrs(op, problems)
	}
	path := "/v3/pam/" + escapePathSegment(c.keys.Subscribe) + "/grant/" + escapePathSegment(token)
	_, maybeApplied, err := c.doRetry(ctx, op, "DELETE", path, nil)
	if maybeApplied && isAlreadyRevoked(err) {
		// An earlier attempt of this call was lost after it reached the
		// service, which revoked the token then: the call did its job.
		return nil
	}
	return opErr(op, err)
}

// isAlreadyRevoked reports whether err is the service's 400 answer to
// revoking a token that is already revoked.
func isAlreadyRevoked(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest && apiErr.kind() == answerRevoked
}
