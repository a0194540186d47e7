package pam_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam/internal/vectors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pamkit/pam"
)

var authIssued = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)

// authToken grants a mix of exact entries and patterns, including ones
// that are unanchored, shadowed by an exact entry, or not RE2.
func authToken() *pam.Token {
	return &pam.Token{
		Version:        2,
		IssuedAt:       authIssued,
		TTL:            60 * time.Minute,
		AuthorizedUUID: "alice",
		Resources: pam.Grants{
			Channels:      map[string]pam.Permission{"lobby": pam.Read | pam.Write, "room-9": pam.Read, "news": pam.Read},
			ChannelGroups: map[string]pam.Permission{"cg-main": pam.Read | pam.Manage},
			UUIDs:         map[string]pam.Permission{"alice": pam.Get | pam.Update},
		},
		Patterns: pam.Grants{
			Channels: map[string]pam.Permission{
				"^room-[0-9]+$": pam.Read | pam.Write,
				"^chat\\.":      pam.Read,                 // no $: needs a whole-name match
				"feed":          pam.Read,                 // unanchored
				"a|ab":          pam.Join,                 // whole-name needs leftmost-longest
				"(?!x)secret.*": pam.Read | pam.Write,     // lookahead: not RE2
				"^vip-\\d+$":    pam.Read,                 // read only
				"^vip-1$":       pam.Read | pam.Write | 8, // write, delete on vip-1 only
			},
			ChannelGroups: map[string]pam.Permission{"^cg-.*$": pam.Read},
			UUIDs:         map[string]pam.Permission{"^bot-\\S*$": pam.Get},
		},
		Signature: []byte{1, 2, 3},
	}
}

func TestAllows(t *testing.T) {
	t.Parallel()
	tok := authToken()
	cases := []struct {
		name string
		rt   pam.ResourceType
		res  string
		p    pam.Permission
		want bool
	}{
		{"exact channel", pam.Channel, "lobby", pam.Write, true},
		{"exact channel all bits", pam.Channel, "lobby", pam.Read | pam.Write, true},
		{"exact channel lacks bit", pam.Channel, "lobby", pam.Join, false},
		{"exact entry decides over pattern", pam.Channel, "room-9", pam.Write, false},
		{"exact entry allows read", pam.Channel, "room-9", pam.Read, true},
		{"pattern", pam.Channel, "room-42", pam.Read | pam.Write, true},
		{"pattern lacks bit", pam.Channel, "room-42", pam.Delete, false},
		{"pattern needs whole name (prefix)", pam.Channel, "xroom-42", pam.Read, false},
		{"pattern needs whole name (suffix)", pam.Channel, "room-42x", pam.Read, false},
		{"pattern without $ needs whole name", pam.Channel, "chat.general", pam.Read, false},
		{"pattern without $ matches itself", pam.Channel, "chat.", pam.Read, true},
		{"unanchored pattern is a whole name", pam.Channel, "feed", pam.Read, true},
		{"unanchored pattern not a substring", pam.Channel, "my-feed-1", pam.Read, false},
		{"alternation longest", pam.Channel, "ab", pam.Join, true},
		{"alternation shortest", pam.Channel, "a", pam.Join, true},
		{"not RE2 never allows", pam.Channel, "secret-plans", pam.Read, false},
		{"bits from two patterns do not add up", pam.Channel, "vip-2", pam.Read | pam.Write, false},
		{"one pattern with all bits", pam.Channel, "vip-1", pam.Read | pam.Write, true},
		{"nothing matches", pam.Channel, "other", pam.Read, false},
		{"zero permission", pam.Channel, "lobby", 0, false},
		{"group exact", pam.ChannelGroup, "cg-main", pam.Manage, true},
		{"group pattern", pam.ChannelGroup, "cg-other", pam.Read, true},
		{"group pattern lacks manage", pam.ChannelGroup, "cg-other", pam.Manage, false},
		{"group is not a channel", pam.ChannelGroup, "lobby", pam.Read, false},
		{"uuid exact", pam.UUID, "alice", pam.Update, true},
		{"uuid exact lacks delete", pam.UUID, "alice", pam.Delete, false},
		{"uuid pattern", pam.UUID, "bot-7", pam.Get, true},
		{"uuid pattern with \\S rejects space", pam.UUID, "bot 7", pam.Get, false},
		{"space checks channels", pam.Space, "lobby", pam.Write, true},
		{"space pattern checks channel patterns", pam.Space, "room-1", pam.Read, true},
		{"user checks uuids", pam.User, "alice", pam.Get, true},
		{"unknown type", pam.ResourceType(9), "lobby", pam.Read, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, tok.Allows(c.rt, c.res, c.p))
		})
	}
}

func TestAllowsVectors(t *testing.T) {
	t.Parallel()
	tok, err := pam.ParseToken(vectors.TokenByID(t, "tok01").Token)
	require.NoError(t, err)
	assert.True(t, tok.Allows(pam.Channel, "channel-1", pam.Read|pam.Write|pam.Join))
	assert.True(t, tok.Allows(pam.Channel, "channel-anything", pam.Write))
	assert.False(t, tok.Allows(pam.Channel, "channel-with space", pam.Write))
	assert.True(t, tok.Allows(pam.ChannelGroup, "channel_group-1", pam.Manage))
	assert.True(t, tok.Allows(pam.ChannelGroup, ":channel_group-2", pam.Read))
	assert.False(t, tok.Allows(pam.ChannelGroup, "channel_group-2", pam.Read), "the pattern wants a leading colon")
	assert.True(t, tok.Allows(pam.UUID, "uuid-1", pam.Get|pam.Update|pam.Delete))
	assert.True(t, tok.Allows(pam.UUID, "uuid-2", pam.Get))
	assert.False(t, tok.Allows(pam.UUID, "uuid-1", pam.Read))

	// tok41's patterns are globs ("some_*"): as RE2 whole-name matches they
	// mean "some" followed by underscores.
	tok, err = pam.ParseToken(vectors.TokenByID(t, "tok41").Token)
	require.NoError(t, err)
	assert.True(t, tok.Allows(pam.Channel, "some__", pam.Read))
	assert.False(t, tok.Allows(pam.Channel, "some_thing", pam.Read))
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	tok := authToken()
	at := authIssued.Add(10 * time.Minute)
	type want struct {
		is         []error
		not        []error
		says       []string
		entry      string
		pattern    string
		missing    pam.Permission
		candidates []string
	}
	cases := []struct {
		name string
		a    pam.Access
		want *want // nil: allowed
	}{
		{"allowed exact", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Write, UUID: "alice", At: at}, nil},
		{"allowed pattern", pam.Access{Type: pam.Channel, Name: "room-3", Permission: pam.Write, UUID: "alice", At: at}, nil},
		{"allowed group", pam.Access{Type: pam.ChannelGroup, Name: "cg-x", Permission: pam.Read, UUID: "alice", At: at}, nil},
		{"allowed uuid", pam.Access{Type: pam.UUID, Name: "bot-1", Permission: pam.Get, UUID: "alice", At: at}, nil},
		{"entry lacks bits", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Write | pam.Join | pam.Delete, UUID: "alice", At: at}, &want{
			is: []error{pam.ErrPermissionDenied}, not: []error{pam.ErrTokenExpired, pam.ErrUUIDMismatch},
			says:  []string{`channel "lobby" grants read|write but not delete|join`, `grant delete|join on "lobby"`},
			entry: "lobby", missing: pam.Delete | pam.Join,
		}},
		{"entry shadows pattern", pam.Access{Type: pam.Channel, Name: "room-9", Permission: pam.Write, UUID: "alice", At: at}, &want{
			is:    []error{pam.ErrPermissionDenied},
			says:  []string{`channel "room-9" grants read but not write`, `takes precedence over pattern "^room-[0-9]+$"`},
			entry: "room-9", missing: pam.Write,
		}},
		{"pattern lacks bits", pam.Access{Type: pam.Channel, Name: "vip-2", Permission: pam.Read | pam.Write, UUID: "alice", At: at}, &want{
			is:      []error{pam.ErrPermissionDenied},
			says:    []string{`channel "vip-2" matches pattern "^vip-\\d+$", which grants read but not write`},
			pattern: `^vip-\d+$`, missing: pam.Write,
		}},
		{"closest pattern named", pam.Access{Type: pam.Channel, Name: "vip-1", Permission: pam.Read | pam.Write | pam.Join, UUID: "alice", At: at}, &want{
			is:      []error{pam.ErrPermissionDenied},
			says:    []string{`matches pattern "^vip-1$", which grants read|write|delete but not join`},
			pattern: "^vip-1$", missing: pam.Join,
		}},
		{"nothing matches", pam.Access{Type: pam.Channel, Name: "lobbyy", Permission: pam.Read, UUID: "alice", At: at}, &want{
			is:         []error{pam.ErrPermissionDenied},
			says:       []string{`no entry or pattern in the token matches channel "lobbyy"`, `(nearest: channel "lobby" grants read|write)`},
			missing:    pam.Read,
			candidates: []string{"lobby"},
		}},
		{"substring of unanchored pattern", pam.Access{Type: pam.Channel, Name: "newsfeed", Permission: pam.Read, UUID: "alice", At: at}, &want{
			is:   []error{pam.ErrPermissionDenied},
			says: []string{`no entry or pattern in the token matches channel "newsfeed"`, `pattern "feed" grants read`},
		}},
		{"not RE2 is reported", pam.Access{Type: pam.Channel, Name: "secret-1", Permission: pam.Read, UUID: "alice", At: at}, &want{
			is:   []error{pam.ErrPermissionDenied},
			says: []string{`a pattern that would grant it is not valid RE2, so it could not be checked: "(?!x)secret.*"`},
		}},
		{"wrong resource type", pam.Access{Type: pam.Channel, Name: "cg-main", Permission: pam.Read, UUID: "alice", At: at}, &want{
			is:   []error{pam.ErrPermissionDenied},
			says: []string{`the token does grant read|manage on channel group "cg-main": is the resource type right?`},
		}},
		{"type grants nothing", pam.Access{Type: pam.Channel, Name: "x", Permission: pam.Read, UUID: "alice", At: at}, nil},
		{"bits the type never takes", pam.Access{Type: pam.ChannelGroup, Name: "cg-main", Permission: pam.Write, UUID: "alice", At: at}, &want{
			is:   []error{pam.ErrPermissionDenied},
			says: []string{`channel group "cg-main" grants read|manage but not write`, "groups take only read|manage, never write"},
		}},
		{"no permission", pam.Access{Type: pam.Channel, Name: "lobby", UUID: "alice", At: at}, &want{
			is:   []error{pam.ErrPermissionDenied},
			says: []string{"no permission requested"},
		}},
		{"expired", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Read, UUID: "alice", At: authIssued.Add(3 * time.Hour)}, &want{
			is:   []error{pam.ErrTokenExpired, pam.ErrPermissionDenied},
			not:  []error{pam.ErrUUIDMismatch},
			says: []string{"token expired 2h0m ago, at 2025-01-02T11:00:00Z", "issued at 2025-01-02T10:00:00Z for 60 minutes", "request a new token"},
		}},
		{"expired at the second", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Read, UUID: "alice", At: authIssued.Add(time.Hour)}, &want{
			is: []error{pam.ErrTokenExpired}, says: []string{"expired 0s ago"},
		}},
		{"expiry checked before uuid", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Read, UUID: "bob", At: authIssued.AddDate(0, 0, 10)}, &want{
			is: []error{pam.ErrTokenExpired}, not: []error{pam.ErrUUIDMismatch}, says: []string{"9 days ago"},
		}},
		{"uuid mismatch", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Read, UUID: "bob", At: at}, &want{
			is:   []error{pam.ErrUUIDMismatch, pam.ErrPermissionDenied},
			not:  []error{pam.ErrTokenExpired},
			says: []string{`token is bound to uuid "alice", not "bob"`},
		}},
		{"uuid missing", pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Read, At: at}, &want{
			is:   []error{pam.ErrUUIDMismatch, pam.ErrPermissionDenied},
			says: []string{`bound to uuid "alice" and the access names no uuid`, "set Access.UUID"},
		}},
	}
	// "type grants nothing" needs a token without channels.
	bare := authToken()
	bare.Resources.Channels, bare.Patterns.Channels = nil, nil
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tk := tok
			if c.name == "type grants nothing" {
				tk = bare
				c.want = &want{is: []error{pam.ErrPermissionDenied},
					says: []string{`token grants nothing on channels at all, so not read on channel "x"`}}
			}
			err := tk.Authorize(c.a)
			if c.want == nil {
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(tk.Explain(c.a), "allowed: "), tk.Explain(c.a))
				return
			}
			require.Error(t, err)
			var de *pam.DeniedError
			require.ErrorAs(t, err, &de)
			for _, s := range c.want.is {
				assert.ErrorIs(t, err, s)
			}
			for _, s := range c.want.not {
				assert.NotErrorIs(t, err, s)
			}
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "pam: "), msg)
			for _, s := range c.want.says {
				assert.Contains(t, msg, s)
			}
			if c.want.entry != "" || c.want.pattern != "" || c.want.missing != 0 {
				assert.Equal(t, c.want.entry, de.Entry)
				assert.Equal(t, c.want.pattern, de.Pattern)
				assert.Equal(t, c.want.missing, de.Missing)
			}
			if c.want.candidates != nil {
				require.NotEmpty(t, de.Candidates)
				assert.LessOrEqual(t, len(de.Candidates), 3)
				assert.Equal(t, c.want.candidates, de.Candidates[:len(c.want.candidates)])
			}
			assert.Equal(t, c.a.Name, de.Access.Name)
			assert.Equal(t, "denied: "+strings.TrimPrefix(msg, "pam: "), tk.Explain(c.a))
		})
	}
}

func TestExplainAllowed(t *testing.T) {
	t.Parallel()
	tok := authToken()
	at := authIssued.Add(time.Minute)
	assert.Equal(t, `allowed: channel "lobby" has an exact entry granting read|write`,
		tok.Explain(pam.Access{Name: "lobby", Permission: pam.Write, UUID: "alice", At: at}))
	assert.Equal(t, `allowed: channel "room-7" matches pattern "^room-[0-9]+$", which grants read|write`,
		tok.Explain(pam.Access{Name: "room-7", Permission: pam.Write, UUID: "alice", At: at}))
}

func TestAuthorizeDefaultsToNow(t *testing.T) {
	t.Parallel()
	tok := authToken()
	err := tok.Authorize(pam.Access{Name: "lobby", Permission: pam.Read, UUID: "alice"})
	require.ErrorIs(t, err, pam.ErrTokenExpired, "the token expired in 2025")
	var de *pam.DeniedError
	require.ErrorAs(t, err, &de)
	assert.False(t, de.Access.At.IsZero())
	assert.Equal(t, authIssued.Add(time.Hour), de.ExpiresAt)

	tok.IssuedAt = time.Now().Add(-time.Minute).Truncate(time.Second)
	require.NoError(t, tok.Authorize(pam.Access{Name: "lobby", Permission: pam.Read, UUID: "alice"}))
}

func TestAuthorizeUnboundToken(t *testing.T) {
	t.Parallel()
	tok := authToken()
	tok.AuthorizedUUID = ""
	at := authIssued.Add(time.Minute)
	require.NoError(t, tok.Authorize(pam.Access{Name: "lobby", Permission: pam.Read, At: at}))
	require.NoError(t, tok.Authorize(pam.Access{Name: "lobby", Permission: pam.Read, UUID: "anyone", At: at}))
}

// TestAuthorizeNeverLeaksToken checks that no message carries the token or
// its signature.
func TestAuthorizeNeverLeaksToken(t *testing.T) {
	t.Parallel()
	v := vectors.TokenByID(t, "tok01")
	tok, err := pam.ParseToken(v.Token)
	require.NoError(t, err)
	sig := base64.RawURLEncoding.EncodeToString(tok.Signature)
	for _, a := range []pam.Access{
		{Name: "channel-1", Permission: pam.Read, UUID: "test-authorized-uuid"},
		{Name: "channel-1", Permission: pam.Read, UUID: "x", At: tok.IssuedAt},
		{Name: "zzz", Permission: pam.Read, UUID: "test-authorized-uuid", At: tok.IssuedAt},
	} {
		err := tok.Authorize(a)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), v.Token[:40])
		assert.NotContains(t, err.Error(), sig)
	}
	assert.True(t, errors.Is(tok.Authorize(pam.Access{Name: "channel-1", Permission: pam.Read}), pam.ErrTokenExpired))
}

// Messages name a resource type in the plural as words ("channel
// groups", not the grant body's "groups").
func TestAuthorizeWording(t *testing.T) {
	t.Parallel()
	bare := authToken()
	bare.Resources.ChannelGroups, bare.Patterns.ChannelGroups = nil, nil
	tests := []struct {
		tok      *pam.Token
		a        pam.Access
		says     string
		neverSay string
	}{
		{bare, pam.Access{Type: pam.ChannelGroup, Name: "cg", Permission: pam.Read, UUID: "alice", At: authIssued},
			`token grants nothing on channel groups at all, so not read on channel group "cg"`, "on groups"},
		{authToken(), pam.Access{Type: pam.ChannelGroup, Name: "cg-main", Permission: pam.Write | pam.Read, UUID: "alice", At: authIssued},
			"note that channel groups take only read|manage, never write", "that groups"},
	}
	for _, tc := range tests {
		err := tc.tok.Authorize(tc.a)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.says)
		assert.NotContains(t, err.Error(), tc.neverSay)
	}
}

// TestAuthorizeExpiredOneMinute: a one-minute token's denial says "1
// minute", not "1 minutes".
func TestAuthorizeExpiredOneMinute(t *testing.T) {
	t.Parallel()
	for ttl, says := range map[time.Duration]string{time.Minute: "for 1 minute)", 2 * time.Minute: "for 2 minutes)"} {
		tok := authToken()
		tok.TTL = ttl
		err := tok.Authorize(pam.Access{Type: pam.Channel, Name: "lobby", Permission: pam.Read, UUID: "alice", At: authIssued.Add(time.Hour)})
		require.ErrorIs(t, err, pam.ErrTokenExpired)
		assert.Contains(t, err.Error(), says)
	}
}
