package pam_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pamkit/pam"
	"github.com/pamkit/pam/internal/authz/authztest"
	"github.com/pamkit/pam/internal/tokencodec"
)

// forgedToken returns a forged token of n patterns written with format.
func forgedToken(t testing.TB, format string, n int) string {
	t.Helper()
	s, err := authztest.ForgedToken(format, n)
	require.NoError(t, err)
	return s
}

// TestForgedTokenIsCheap: the forged token of the issue (1,200 patterns
// like "17.{0,1000}~", 24 KB) costs less than 32 MiB on its first check,
// and nothing on later ones; Authorize says its patterns are too complex to
// check locally.
func TestForgedTokenIsCheap(t *testing.T) { //nolint:paralleltest // measures allocation
	s := forgedToken(t, "%d.{0,1000}~", 1200)
	assert.Greater(t, len(s), 24_000)
	tok, err := pam.ParseToken(s)
	require.NoError(t, err)
	bytes := authztest.Allocated(func() { tok.Allows(pam.Channel, "17~", pam.Read) })
	assert.Less(t, bytes, uint64(32<<20), "first Allows allocated %d bytes", bytes)
	assert.Zero(t, testing.AllocsPerRun(20, func() { tok.Allows(pam.Channel, "17~", pam.Read) }))

	err = tok.Authorize(pam.Access{Type: pam.Channel, Name: "17~", Permission: pam.Read})
	require.Error(t, err)
	assert.ErrorIs(t, err, pam.ErrPatternTooComplex)
	assert.ErrorIs(t, err, pam.ErrPermissionDenied)
	assert.Contains(t, err.Error(), `1200 patterns that would grant it are too complex to check locally`)
	assert.Contains(t, err.Error(), `"0.{0,1000}~", "1.{0,1000}~", "10.{0,1000}~" and 1197 more`)
	assert.Contains(t, tok.Explain(pam.Access{Type: pam.Channel, Name: "17~", Permission: pam.Read}), "too complex to check locally")
}

func TestErrPatternTooComplex(t *testing.T) {
	t.Parallel()
	assert.ErrorIs(t, pam.ErrPatternTooComplex, pam.ErrPermissionDenied)
	assert.Equal(t, "pattern too complex to check locally", pam.ErrPatternTooComplex.Error())
	tok := &pam.Token{IssuedAt: time.Now(), TTL: time.Hour, Patterns: pam.Grants{Channels: map[string]pam.Permission{
		`^room-.{0,600}$`: pam.Write, // 1,211 instructions
		`^room-[0-9]+$`:   pam.Read,
		`(`:               pam.Write,
	}}}
	assert.False(t, tok.Allows(pam.Channel, "room-1", pam.Write))
	assert.True(t, tok.Allows(pam.Channel, "room-1", pam.Read), "the other patterns still work")

	err := tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-1", Permission: pam.Write})
	assert.ErrorIs(t, err, pam.ErrPatternTooComplex)
	var de *pam.DeniedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, `^room-[0-9]+$`, de.Pattern, "the matching pattern that lacks write")
	assert.Contains(t, err.Error(), `a pattern that would grant it is too complex to check locally `+
		`(its program needs 1211 instructions, over the limit of 1000), so the service may allow what pam denies: "^room-.{0,600}$"`)
	assert.Contains(t, err.Error(), `a pattern that would grant it is not valid RE2, so it could not be checked: "("`)

	err = tok.Authorize(pam.Access{Type: pam.Channel, Name: "room-1", Permission: pam.Join})
	assert.ErrorIs(t, err, pam.ErrPermissionDenied)
	assert.False(t, errors.Is(err, pam.ErrPatternTooComplex), "no pattern would grant join")
}

// TestAllowsPatternNoAllocations: after the first call, Allows on a pattern
// allocates nothing.
func TestAllowsPatternNoAllocations(t *testing.T) { //nolint:paralleltest // AllocsPerRun
	tok := mustParse(t, patternToken(t))
	require.True(t, tok.Allows(pam.Channel, "room-42", pam.Write))
	assert.Zero(t, testing.AllocsPerRun(1000, func() { tok.Allows(pam.Channel, "room-42", pam.Write) }))
	assert.Zero(t, testing.AllocsPerRun(1000, func() { tok.Allows(pam.Channel, "chat-7", pam.Write) }), "regexp")
}

// TestTokenCopiesAndEdits: a copy of a token shares its compiled patterns
// and answers right after either is edited; a token from UnmarshalJSON
// compiles too; concurrent use is safe (run with -race).
func TestTokenCopiesAndEdits(t *testing.T) {
	t.Parallel()
	tok := mustParse(t, patternToken(t))
	require.True(t, tok.Allows(pam.Channel, "room-1", pam.Write))
	cp := *tok
	cp.Patterns.Channels = map[string]pam.Permission{`^hall-.*$`: pam.Write}
	assert.True(t, cp.Allows(pam.Channel, "hall-1", pam.Write))
	assert.False(t, cp.Allows(pam.Channel, "room-1", pam.Write))
	assert.True(t, tok.Allows(pam.Channel, "room-1", pam.Write))
	assert.False(t, tok.Allows(pam.Channel, "hall-1", pam.Write))

	tok.Patterns.Channels[`^lobby$`] = pam.Read // edited in place
	assert.True(t, tok.Allows(pam.Channel, "lobby", pam.Read))
	tok.Patterns.Channels[`^room-[0-9]+$`] = pam.Read
	assert.False(t, tok.Allows(pam.Channel, "room-1", pam.Write))

	b, err := json.Marshal(tok)
	require.NoError(t, err)
	want, err := json.Marshal(*tok)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(b), "the compiled patterns are not in the JSON")
	assert.NotContains(t, string(b), "compiled")
	var back pam.Token
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back.Allows(pam.Channel, "lobby", pam.Read))

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c := back // copies, concurrently with use
				if !c.Allows(pam.Channel, "lobby", pam.Read) || c.Allows(pam.Channel, fmt.Sprint("x", i), pam.Read) {
					t.Error("wrong answer")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func mustParse(t testing.TB, s string) *pam.Token {
	t.Helper()
	tok, err := pam.ParseToken(s)
	require.NoError(t, err)
	return tok
}

// patternToken is a token with one exact entry and two patterns on
// channels: the shape of the Allows benchmarks.
func patternToken(t testing.TB) string {
	t.Helper()
	b, err := tokencodec.Encode(&tokencodec.Token{
		Version: tokencodec.Version, Timestamp: uint64(time.Now().Unix()), TTL: 60,
		Res: tokencodec.Grants{Chan: map[string]uint32{"lobby": 3}},
		Pat: tokencodec.Grants{Chan: map[string]uint32{`^room-[0-9]+$`: 3, `chat-\d`: 3}},
		Sig: make([]byte, 32),
	}, true)
	require.NoError(t, err)
	return base64.URLEncoding.EncodeToString(b)
}

// BenchmarkAllows: an exact entry, a pattern (^room-[0-9]+$, matched
// without regexp) and an unanchored pattern (chat-\d, matched with
// regexp), on the same token after the first call.
func BenchmarkAllows(b *testing.B) {
	tok := mustParse(b, patternToken(b))
	for _, bc := range []struct{ name, channel string }{{"exact", "lobby"}, {"pattern", "room-42"}, {"regexp", "chat-7"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !tok.Allows(pam.Channel, bc.channel, pam.Write) {
					b.Fatal("denied")
				}
			}
		})
	}
}

// BenchmarkForgedToken: the forged token (1,200 patterns like
// "17.{0,1000}~"), and one whose patterns are each within the limits but
// over them together: the first Allows (with ParseToken, each iteration a
// new token), later Allows, Authorize and Explain.
func BenchmarkForgedToken(b *testing.B) {
	for _, format := range []string{"%d.{0,1000}~", "%04d.{0,400}~"} {
		s := forgedToken(b, format, 1200)
		a := pam.Access{Type: pam.Channel, Name: "17~", Permission: pam.Read, At: time.Now()}
		b.Run("first/"+format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if mustParse(b, s).Allows(pam.Channel, a.Name, a.Permission) {
					b.Fatal("allowed")
				}
			}
		})
		tok := mustParse(b, s)
		tok.Allows(pam.Channel, a.Name, a.Permission)
		for name, f := range map[string]func(){
			"Allows":    func() { tok.Allows(pam.Channel, a.Name, a.Permission) },
			"Authorize": func() { _ = tok.Authorize(a) },
			"Explain":   func() { tok.Explain(a) },
		} {
			b.Run("later/"+format+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f()
				}
			})
		}
	}
}
