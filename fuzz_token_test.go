package pam_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pamkit/pam"
)

// FuzzParseToken feeds ParseToken arbitrary strings, seeded from the
// vectors and the hostile cases. Nothing may panic, every failure must wrap
// ErrMalformedToken or ErrUnsupportedVersion, and whatever parses must
// satisfy the invariants: parsing is deterministic, permission bits stay
// within the defined ones, the JSON form re-parses to the same token, and
// Authorize never allows what Allows refuses.
func FuzzParseToken(f *testing.F) {
	for _, v := range tokVectors(f) {
		f.Add(v.Token)
		f.Add(strings.TrimRight(v.Token, "="))
	}
	for _, c := range hostileCases() {
		if len(c.token) < 4096 {
			f.Add(c.token)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := pam.ParseToken(s)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			if !errors.Is(err, pam.ErrMalformedToken) && !errors.Is(err, pam.ErrUnsupportedVersion) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "pam: ") || len(s) > 60 && strings.Contains(err.Error(), s) {
				t.Fatalf("bad message: %v", err)
			}
			return
		}
		again, err := pam.ParseToken(s)
		if err != nil {
			t.Fatalf("second parse: %v", err)
		}
		if !equalJSON(t, tok, again) {
			t.Fatal("parsing twice gave different tokens")
		}
		if tok.Version != 2 || tok.TTL < 0 || tok.ExpiresAt().Year() > 9999 {
			t.Fatalf("version %d, ttl %v, expiry %v", tok.Version, tok.TTL, tok.ExpiresAt())
		}
		for _, g := range []pam.Grants{tok.Resources, tok.Patterns} {
			for _, m := range []map[string]pam.Permission{g.Channels, g.ChannelGroups, g.UUIDs, g.Spaces, g.Users} {
				for name, p := range m {
					if p&^pam.AllPermissions != 0 {
						t.Fatalf("%q has undefined bits %#x", name, uint32(p))
					}
				}
			}
		}
		b, err := json.Marshal(tok)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back pam.Token
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if !equalJSON(t, tok, &back) {
			t.Fatalf("JSON does not round-trip:\n%s", b)
		}
		back.Meta, tok.Meta = nil, nil // numbers may change Go type, not value
		if fmtToken(&back) != fmtToken(tok) {
			t.Fatalf("JSON round trip changed the token:\n%s\n%s", fmtToken(tok), fmtToken(&back))
		}
		for name, p := range tok.Resources.Channels {
			a := pam.Access{Name: name, Permission: p | pam.Read, UUID: tok.AuthorizedUUID, At: tok.IssuedAt}
			if tok.Authorize(a) == nil && !tok.Allows(pam.Channel, name, a.Permission) {
				t.Fatal("Authorize allowed what Allows refused")
			}
		}
	})
}

func equalJSON(t *testing.T, a, b *pam.Token) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(x) == string(y)
}

func fmtToken(t *pam.Token) string {
	b, _ := json.Marshal(struct {
		T   pam.Token
		Raw any
	}{*t, []any{t.IssuedAt.UnixNano(), t.TTL, t.Resources, t.Patterns, t.Signature}})
	return string(b)
}
