package pam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// GrantToken asks the service for a token as r describes and returns it.
// It validates r first (see [TokenRequest.Validate]) and checks that the
// client has the secret and publish keys; when either check fails nothing is
// sent. An error answer from the service is an *[APIError]. The token in
// the answer is checked before it is returned: one that would not parse
// with [ParseToken] is an error wrapping [ErrMalformedToken] that names the
// origin.
func (c *Client) GrantToken(ctx context.Context, r *TokenRequest) (string, error) {
	const op = "grant token"
	if r == nil {
		return "", opErrs(op, append([]error{errNilRequest()}, c.keyProblems()...))
	}
	var esBuf [16]entry
	var msBuf [8]metaEntry
	es, ms := r.normalize(esBuf[:0], msBuf[:0])
	if problems := append(r.validate(es, ms), c.keyProblems()...); len(problems) > 0 {
		return "", opErrs(op, problems)
	}
	return c.grantBody(ctx, r.appendBody(make([]byte, 0, r.bodySizeHint(es, ms)), es, ms))
}

// grantBody sends a grant with a validated body and returns the token the
// service answers with. [GrantCache] sends its shared grants through it.
func (c *Client) grantBody(ctx context.Context, body []byte) (string, error) {
	const op = "grant token"
	data, err := c.do(ctx, op, "POST", "/v3/pam/"+escapePathSegment(c.keys.Subscribe)+"/grant", body)
	if err != nil {
		return "", opErr(op, err)
	}
	token, err := readGrantAnswer(data)
	if err != nil {
		return "", opErr(op, err)
	}
	if err := checkToken(token); err != nil {
		return "", opErr(op, fmt.Errorf("the service at %s answered with a token that does not parse: %w; check the origin points at PubNub", c.origin(), err))
	}
	return token, nil
}

// readGrantAnswer returns the token in a successful grant's answer,
// {"data":{"message":"Success","token":"…"},"service":"Access Manager","status":200}.
func readGrantAnswer(data []byte) (string, error) {
	var answer struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return "", fmt.Errorf("the service's answer is not the expected JSON (%w); check the origin points at PubNub", err)
	}
	if answer.Data.Token == "" {
		return "", errors.New("the service answered without a token; check the origin points at PubNub")
	}
	return answer.Data.Token, nil
}
