package pam

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pamkit/pam/internal/authz"
)

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"lobby", "lobby", 0},
		{"lobby", "lobbyy", 1},
		{"kitten", "sitting", 3},
		{strings.Repeat("a", 100), strings.Repeat("a", 64) + "b", 0}, // only 64 bytes count
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, editDistance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		assert.Equal(t, tc.want, editDistanceWithin(tc.a, tc.b, 3), "%q %q", tc.a, tc.b)
	}
	assert.Equal(t, 3, editDistanceWithin("a", "abcdef", 2), "lengths 5 apart: more than the limit, not computed")
}

func TestNearest(t *testing.T) {
	t.Parallel()
	pats := map[string]Permission{`^room-[0-9]+$`: Read, `feed`: Read, `(?i)lobby`: Read, `(`: Read}
	maps := [authz.Types]map[string]Permission{pats}
	set := authz.Current(nil, &maps)
	res := map[string]Permission{"lobby": Read}
	assert.Equal(t, []string{"lobby"}, nearest("lobbyx", res, set.Entries(0)), "(?i)lobby has no literal prefix: its text is too far")
	assert.Equal(t, []string{"^room-[0-9]+$"}, nearest("room-x", res, set.Entries(0)), "by literal prefix")
	assert.Equal(t, []string{"feed"}, nearest("newsfeed", res, set.Entries(0)), "an unanchored literal inside the name")
	assert.Empty(t, nearest("zzzzzzzz", res, set.Entries(0)))
}
