package pam_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/authz/authztest"
	"github.com/pamkit/pam/pamtest"
)

// TestAllowsAgreesWithEmulator: for 500 random patterns and names
// (anchored and not, alternations, classes, \Q...\E closed or left open,
// (?i) flags), Token.Allows, Token.Authorize and the emulator's publish
// verdict agree on every one. The patterns go five to a token, each token
// checked with the five names made for its patterns.
func TestAllowsAgreesWithEmulator(t *testing.T) {
	t.Parallel()
	const perToken = 5
	s := pamtest.NewServer()
	t.Cleanup(s.Close)
	c := s.Client()
	cases := authztest.Cases(2026, 500)
	allowed := 0
	for i := 0; i < len(cases); i += perToken {
		batch := cases[i:min(i+perToken, len(cases))]
		req := pam.NewTokenRequest(10 * time.Minute)
		for _, bc := range batch {
			req.ChannelPattern(bc.Pattern, pam.Write)
		}
		token, err := c.GrantToken(context.Background(), req)
		require.NoError(t, err, "the emulator refused %q", batch)
		tok, err := pam.ParseToken(token)
		require.NoError(t, err)
		for _, bc := range batch {
			local := tok.Allows(pam.Channel, bc.Name, pam.Write)
			service := publish(t, s, token, bc.Name)
			require.Equal(t, service, local, "channel %q against the patterns %q", bc.Name, tok.Patterns.Channels)
			authErr := tok.Authorize(pam.Access{Type: pam.Channel, Name: bc.Name, Permission: pam.Write, UUID: "u"})
			require.Equal(t, local, authErr == nil, "Authorize and Allows disagree on %q: %v", bc.Name, authErr)
			if local {
				allowed++
			}
		}
	}
	assert.Greater(t, allowed, 100, "the cases should be allowed often enough to test allowing")
	assert.Less(t, allowed, 400, "the cases should be denied often enough to test denying")
}

// publish reports whether the emulator lets token publish to channel.
func publish(t *testing.T, s *pamtest.Server, token, channel string) bool {
	t.Helper()
	k := s.Keys()
	u := s.URL + "/publish/" + k.Publish + "/" + k.Subscribe + "/0/" + url.PathEscape(channel) + "/0/1?uuid=u&auth=" + url.QueryEscape(token)
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusForbidden:
		require.True(t, strings.Contains(string(body), `"Forbidden"`), "%s", body)
		return false
	}
	t.Fatalf("publish to %q: %d %s", channel, resp.StatusCode, body)
	return false
}
