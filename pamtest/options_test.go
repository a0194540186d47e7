package pamtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaxTTLOption: WithMaxTTL changes the range and the message.
func TestMaxTTLOption(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithMaxTTL(10))
	c := s.Client()
	_, err := c.GrantToken(context.Background(), pam.NewTokenRequest(10*time.Minute).Channel("a", pam.Read))
	require.NoError(t, err)
	_, err = c.GrantToken(context.Background(), pam.NewTokenRequest(11*time.Minute).Channel("a", pam.Read))
	var apiErr *pam.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "Range should be 1 to 10 minute(s).", apiErr.Details[0].Message)
	assert.PanicsWithValue(t, "pamtest: WithMaxTTL(0): the maximum ttl must be at least 1 minute", func() { NewHandler(WithMaxTTL(0)) })
}
