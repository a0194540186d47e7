package pam

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	ch := func(r *TokenRequest) *TokenRequest { return r.Channel("c", Read) }
	tests := []struct {
		name  string
		req   *TokenRequest
		want  []error
		texts []string
	}{
		{"valid", ch(NewTokenRequest(15 * time.Minute)), nil, nil},
		{"max ttl", ch(NewTokenRequest(MaxTTL)), nil, nil},
		{"ttl seconds", ch(NewTokenRequest(90 * time.Second)), []error{ErrInvalidTTL}, []string{"1m30s is not a whole number of minutes"}},
		{"ttl zero", ch(NewTokenRequest(0)), []error{ErrInvalidTTL}, nil},
		{"ttl negative", ch(NewTokenRequest(-time.Minute)), []error{ErrInvalidTTL}, nil},
		{"ttl over max", ch(NewTokenRequest(MaxTTL + time.Minute)), []error{ErrInvalidTTL}, nil},
		{"nothing granted", NewTokenRequest(time.Hour), []error{ErrNoPermissions}, []string{"grants nothing"}},
		{"zero bits", NewTokenRequest(time.Hour).UUID("uuid-1", 0), []error{ErrNoPermissions}, []string{`uuid "uuid-1" is granted no permission`}},
		{"get on group", NewTokenRequest(time.Hour).ChannelGroup("cg", Read|Get), []error{ErrInvalidPermission}, []string{`channel group "cg" cannot be granted get; channel groups accept read|manage`}},
		{"join on uuid", NewTokenRequest(time.Hour).UUID("u", Join), []error{ErrInvalidPermission}, []string{`uuid "u" cannot be granted join`}},
		{"create on channel pattern", NewTokenRequest(time.Hour).ChannelPattern(".*", Create), []error{ErrInvalidPermission}, []string{"channel pattern"}},
		{"read on user", NewTokenRequest(time.Hour).User("u", Read), []error{ErrInvalidPermission}, nil},
		{"unknown bit", NewTokenRequest(time.Hour).Channel("c", 1<<9), []error{ErrInvalidPermission}, []string{"0x200"}},
		{"empty name", NewTokenRequest(time.Hour).Channel("", Read), []error{ErrInvalidPermission}, []string{"empty name"}},
		{"empty pattern", NewTokenRequest(time.Hour).UUIDPattern("", Get), []error{ErrInvalidPermission}, nil},
		{"bad utf8 name", NewTokenRequest(time.Hour).Channel("\xff", Read), []error{ErrInvalidPermission}, []string{"UTF-8"}},
		{"empty authorized uuid", ch(NewTokenRequest(time.Hour)).AuthorizedUUID(""), []error{ErrInvalidPermission}, []string{"authorized uuid is empty"}},
		{"empty authorized user", NewTokenRequest(time.Hour).Space("s", Read).AuthorizedUserID(""), []error{ErrInvalidPermission}, nil},
		{"meta nested", ch(NewTokenRequest(time.Hour)).Meta("m", map[string]any{"a": 1}), []error{ErrInvalidMeta}, []string{"map[string]interface {} is not a scalar"}},
		{"meta slice", ch(NewTokenRequest(time.Hour)).Meta("m", []int{1}), []error{ErrInvalidMeta}, nil},
		{"meta NaN", ch(NewTokenRequest(time.Hour)).Meta("m", math.NaN()), []error{ErrInvalidMeta}, []string{"finite"}},
		{"meta Inf32", ch(NewTokenRequest(time.Hour)).Meta("m", float32(math.Inf(1))), []error{ErrInvalidMeta}, nil},
		{"meta empty key is valid", ch(NewTokenRequest(time.Hour)).Meta("", 1), nil, nil},
		{"meta bad key", ch(NewTokenRequest(time.Hour)).Meta("\xfe", 1), []error{ErrInvalidMeta}, nil},
		{"meta bad string", ch(NewTokenRequest(time.Hour)).Meta("k", "\xfe"), []error{ErrInvalidMeta}, nil},
		{"meta scalars ok", ch(NewTokenRequest(time.Hour)).Meta("a", int8(1)).Meta("b", uint64(2)).Meta("c", float32(1.5)).Meta("d", nil).Meta("e", false), nil, nil},
		{"mixed space and channel", NewTokenRequest(time.Hour).Space("s", Read).Channel("c", Read), []error{ErrMixedAPIs}, nil},
		{"mixed user id and uuid", NewTokenRequest(time.Hour).User("u", Get).AuthorizedUUID("x"), []error{ErrMixedAPIs}, nil},
		{"deprecated alone ok", NewTokenRequest(time.Hour).Space("s", Read|Write|Join).User("u", Get).AuthorizedUserID("me"), nil, nil},
		{"nil request", nil, []error{ErrNoPermissions}, []string{"nil"}},
		{"all at once", NewTokenRequest(30*time.Second).ChannelGroup("g", Write).Channel("c", 0).Meta("m", []any{}).Space("s", Read),
			[]error{ErrInvalidTTL, ErrInvalidPermission, ErrNoPermissions, ErrInvalidMeta, ErrMixedAPIs}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.req.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
			var joined interface{ Unwrap() []error }
			if tt.req != nil {
				require.True(t, errors.As(err, &joined))
				assert.Len(t, joined.Unwrap(), len(tt.want), "one error per problem: %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				assert.True(t, strings.HasPrefix(line, "pam: "), "%q", line)
			}
			for _, text := range tt.texts {
				assert.Contains(t, err.Error(), text)
			}
		})
	}
}

// TestValidateAuthorizedUUID: an authorized uuid (or user id) that is not
// UTF-8 or is longer than the 92 bytes the service accepts is rejected
// with ErrInvalidPermission before anything is sent.
func TestValidateAuthorizedUUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *TokenRequest
		want string // "" for valid
	}{
		{"92 bytes", NewTokenRequest(time.Hour).Channel("c", Read).AuthorizedUUID(strings.Repeat("u", 92)), ""},
		{"93 bytes", NewTokenRequest(time.Hour).Channel("c", Read).AuthorizedUUID(strings.Repeat("u", 93)), "93 bytes long; the service accepts at most 92"},
		{"1 MiB", NewTokenRequest(time.Hour).Channel("c", Read).AuthorizedUUID(strings.Repeat("u", 1<<20)), "accepts at most 92"},
		{"not UTF-8", NewTokenRequest(time.Hour).Channel("c", Read).AuthorizedUUID("user-\xff"), "not valid UTF-8"},
		{"UTF-8 ok", NewTokenRequest(time.Hour).Channel("c", Read).AuthorizedUUID("usér-1"), ""},
		{"user id 93 bytes", NewTokenRequest(time.Hour).Space("s", Read).AuthorizedUserID(strings.Repeat("u", 93)), "accepts at most 92"},
		{"user id not UTF-8", NewTokenRequest(time.Hour).Space("s", Read).AuthorizedUserID("\xfe"), "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs, sent := validateAndGrant(t, tt.req)
			for _, err := range errs {
				if tt.want == "" {
					require.NoError(t, err)
					continue
				}
				require.ErrorIs(t, err, ErrInvalidPermission)
				assert.Contains(t, err.Error(), tt.want)
				assert.Less(t, len(err.Error()), 512)
			}
			if tt.want != "" {
				assert.Zero(t, sent, "rejected before the network")
			}
		})
	}
}

// TestValidateBounded: the worst requests give errors of bounded size that
// still match every sentinel involved: 100k bad entries, a 1 MiB bad name
// or meta key.
func TestValidateBounded(t *testing.T) {
	t.Parallel()
	many := NewTokenRequest(30 * time.Second)
	for i := range 100_000 {
		many.Channel(fmt.Sprintf("room-%06d", i), Create)
	}
	many.ChannelGroup("g", 0).Meta("m", []int{1}).Space("s", Read)
	huge := strings.Repeat("n", 1<<20)
	bad := strings.Repeat("\xff", 1<<20)
	tests := []struct {
		name     string
		req      *TokenRequest
		maxBytes int
		want     []error
	}{
		{"100k bad entries and more", many, 4 << 10, []error{ErrInvalidTTL, ErrMixedAPIs, ErrInvalidPermission, ErrNoPermissions, ErrInvalidMeta}},
		{"1 MiB name", NewTokenRequest(time.Hour).Channel(huge, Create), 512, []error{ErrInvalidPermission}},
		{"1 MiB non-UTF-8 name", NewTokenRequest(time.Hour).Channel(bad, Read), 512, []error{ErrInvalidPermission}},
		{"1 MiB meta key", NewTokenRequest(time.Hour).Channel("c", Read).Meta(huge, []int{}), 512, []error{ErrInvalidMeta}},
		{"1 MiB non-UTF-8 meta key", NewTokenRequest(time.Hour).Channel("c", Read).Meta(bad, 1), 512, []error{ErrInvalidMeta}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs, sent := validateAndGrant(t, tt.req)
			for _, err := range errs {
				require.Error(t, err)
				assert.LessOrEqual(t, len(err.Error()), tt.maxBytes, "error of %d bytes", len(err.Error()))
				for _, w := range tt.want {
					assert.ErrorIs(t, err, w)
				}
			}
			assert.Zero(t, sent)
		})
	}
	err := many.Validate()
	assert.Contains(t, err.Error(), "more problems (", "says how many were left out")
	assert.Len(t, strings.Split(err.Error(), "\n"), maxProblems+1)
}

// validateAndGrant returns what r.Validate says and what GrantToken says of
// r, and how many requests the grant sent.
func validateAndGrant(t *testing.T, r *TokenRequest) (errs []error, sent int) {
	t.Helper()
	c, rec := setup(t, 200, grantOK)
	_, err := c.GrantToken(context.Background(), r)
	return []error{r.Validate(), err}, len(rec.requests())
}
