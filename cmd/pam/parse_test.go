package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/tokencodec"
	"github.com/pamkit/pam/internal/vectors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "parse", tok01)
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"version          2",
		"issued           2021-08-03T05:26:20Z",
		"ttl              60 minutes (1 hour)",
		"expires          2021-08-03T06:26:20Z (expired ",
		"authorized uuid  test-authorized-uuid",
		"channel        channel-1        read, write, manage, delete, get, update, join",
		"channel group  channel_group-1  read, manage",
		"uuid           uuid-1           delete, get, update",
		"channel        ^channel-\\S*$         read, write, manage, delete, get, update, join",
		"meta\n  (none)",
		"signature        32 bytes",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, tok01)

	// From standard input, percent-encoded.
	r2 := pamRun(t, nil, "  "+strings.ReplaceAll(tok01, "-", "%2D")+"\n", "parse", "-")
	require.Equal(t, 0, r2.code, r2.stderr)
	assert.Equal(t, r.stdout[:200], r2.stdout[:200])
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	r := pamRun(t, nil, "", "parse", "--json", tok01)
	require.Equal(t, 0, r.code, r.stderr)
	tok, err := pam.ParseToken(tok01)
	require.NoError(t, err)
	want, err := json.Marshal(tok)
	require.NoError(t, err)
	assert.Equal(t, string(want)+"\n", r.stdout)
	assert.JSONEq(t, string(vectors.Read(t, "tok01.json")), r.stdout)
}

func TestParseDamaged(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{tok01[:100], "!!!", "", strings.Repeat("A", 40000)} {
		r := pamRun(t, nil, tok, "parse", "-")
		assert.Equal(t, exitError, r.code)
		assert.Contains(t, r.stderr, "malformed token")
		assert.Empty(t, r.stdout)
	}
}

// hostileToken returns a token (unsigned by any service: parse does not
// check signatures) carrying text meant to drive a terminal.
func hostileToken(t *testing.T, uuid string, chans map[string]uint32, meta map[string]any) string {
	t.Helper()
	tk := &tokencodec.Token{
		Version: 2, Timestamp: uint64(time.Now().Unix()), TTL: 60,
		Res:  tokencodec.Grants{Chan: chans},
		Meta: meta, UUID: uuid, HasUUID: uuid != "", Sig: make([]byte, 32),
	}
	b, err := tokencodec.Encode(tk, true)
	require.NoError(t, err)
	return base64.URLEncoding.EncodeToString(b)
}

// TestParseQuotesControlCharacters: nothing from the token reaches the
// terminal raw. An escape sequence cannot hide the uuid binding, a newline
// cannot forge a grant line, OSC cannot set the terminal's title: every
// value that is not plain printable text is printed quoted, as %q does.
func TestParseQuotesControlCharacters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		uuid  string
		chans map[string]uint32
		meta  map[string]any
		want  []string // lines or parts of lines that must appear
	}{
		{"escape hides the uuid", "\x1b[8mdevice-1\x1b[0m", map[string]uint32{"a": 1}, nil,
			[]string{`authorized uuid  "\x1b[8mdevice-1\x1b[0m"`}},
		{"newline forges a grant", "u", map[string]uint32{"lobby\n  channel  admin-*  read, write, manage": 1}, nil,
			[]string{`  channel  "lobby\n  channel  admin-*  read, write, manage"  read`}},
		{"OSC sets the title", "u", map[string]uint32{"a": 1}, map[string]any{"title": "\x1b]0;pwned\x07", "\x1b[2Jkey": "v"},
			[]string{`"\u001b]0;pwned\u0007"`, `  "\x1b[2Jkey"  `}},
		{"C1 CSI and bidi override", "evil\u202egnp", map[string]uint32{"\u009b31m": 1}, map[string]any{"k": "\u009bx\u202e"},
			[]string{`authorized uuid  "evil\u202egnp"`, `"\u009b31m"`, `"\u009bx\u202e"`}},
		{"tab breaks the table", "u", map[string]uint32{"a\tb": 1}, nil, []string{`"a\tb"`}},
		{"a name that looks quoted is quoted", "u", map[string]uint32{`"x"`: 1}, nil, []string{`"\"x\""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := hostileToken(t, tt.uuid, tt.chans, tt.meta)
			r := pamRun(t, nil, "", "parse", tok)
			require.Equal(t, exitOK, r.code, r.stderr)
			assertNoControl(t, r.stdout)
			// One line per field, grant and meta entry, and no more.
			lines := strings.Count(r.stdout, "\n")
			assert.Equal(t, 6+2+len(tt.chans)+1+1+max(len(tt.meta), 1), lines, r.stdout)
			for _, w := range tt.want {
				assert.Contains(t, r.stdout, w)
			}
			js := pamRun(t, nil, "", "parse", "--json", tok)
			require.Equal(t, exitOK, js.code)
			assert.NotContains(t, js.stdout, "\x1b", "--json escapes control characters")
		})
	}
}

func TestHuman(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "12s", human(12*time.Second+300*time.Millisecond))
	assert.Equal(t, "4m10s", human(-(4*time.Minute + 10*time.Second)))
	assert.Equal(t, "2h5m0s", human(2*time.Hour+5*time.Minute+3*time.Second))
	assert.Equal(t, "3d4h", human(76*time.Hour))
	assert.Equal(t, "5 minutes", minutes(5*time.Minute))
	assert.Equal(t, "1 minute", minutes(time.Minute))
	assert.Equal(t, "120 minutes (2 hours)", minutes(2*time.Hour))
	assert.Equal(t, "1440 minutes (1 day)", minutes(24*time.Hour))
}
