package pamtest

import (
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientHelper: Server.Client talks to the emulator with its keys and
// clock, and a bad option surfaces as an error on the first call.
func TestClientHelper(t *testing.T) {
	t.Parallel()
	past := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, WithClock(func() time.Time { return past }))
	c := s.Client(pam.WithUserID("me"))
	assert.Equal(t, "me", c.UserID())
	_, err := c.GrantToken(t.Context(), pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	require.NoError(t, err, "the client signs with the emulator's clock")

	bad := s.Client(pam.WithHTTPClient(nil))
	require.NotNil(t, bad)
	_, err = bad.GrantToken(t.Context(), pam.NewTokenRequest(time.Minute).Channel("a", pam.Read))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pamtest: Server.Client: invalid option: pam: WithHTTPClient")
	assert.NotContains(t, err.Error(), s.Keys().Secret)
}
