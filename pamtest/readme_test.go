package pamtest_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/pamtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeSnippet checks that the README's pamtest snippet is
// readme_example_test.go word for word after the package clause, so that
// what readers copy is what compiles and passes here.
func TestReadmeSnippet(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	const open = "```go\npackage chat_test\n\n"
	_, snippet, ok := strings.Cut(string(readme), open)
	require.True(t, ok, "README: no Go block starting with package chat_test")
	snippet, _, ok = strings.Cut(snippet, "```\n")
	require.True(t, ok, "README: the snippet's block is not closed")

	file, err := os.ReadFile("readme_example_test.go")
	require.NoError(t, err)
	_, code, ok := strings.Cut(string(file), "package pamtest_test\n\n")
	require.True(t, ok)
	assert.Equal(t, code, snippet, "README.md and pamtest/readme_example_test.go differ")
	assert.NotContains(t, snippet, "testify", "the snippet needs nothing beyond the standard library")
}

// TestReadmeExpiry is the README's expiry recipe.
func TestReadmeExpiry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := pamtest.NewServer(pamtest.WithClock(clock))
	t.Cleanup(s.Close)
	token, err := s.Client().GrantToken(t.Context(), pam.NewTokenRequest(time.Minute).Channel("room-1", pam.Write))
	require.NoError(t, err)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	u := s.URL + "/publish/" + s.Keys().Publish + "/" + s.Keys().Subscribe +
		"/0/room-1/0/%22hi%22?" + url.Values{"auth": {token}, "uuid": {"user-1"}}.Encode()
	res, err := http.Get(u)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}
