package pam

import (
	"context"
	"fmt"
)

// RevokeToken asks the service to revoke token, so that it is refused from
// then on. Revocation must be enabled on the keyset. The token is sent in the
// path with every character other than A-Z a-z 0-9 - _ . percent-encoded.
// An error answer from the service is an *[APIError].
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	const op = "revoke token"
	if token == "" {
		return fmt.Errorf("%w: %s needs the token to revoke", ErrMissingToken, op)
	}
	if err := c.signingKeysError(op); err != nil {
		return err
	}
	path := "/v3/pam/" + escapePathSegment(c.keys.Subscribe) + "/grant/" + escapePathSegment(token)
	_, err := c.do(ctx, op, "DELETE", path, nil)
	return err
}
