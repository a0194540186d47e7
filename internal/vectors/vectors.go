// Package vectors loads the shared test vectors in the module's testdata
// directory: the tokens, grant bodies and signatures every implementation
// is held to. Only tests import it; each package's tests use this one
// loader whatever directory they run in.
package vectors

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Token is one entry of testdata/tokens.json.
type Token struct {
	ID        string   `json:"id"`
	Token     string   `json:"token"`
	Decodable bool     `json:"decodable"`
	Decoded   *Decoded `json:"decoded"` // nil unless Decodable
}

// Decoded is what a token decodes to. Grants are keyed by their wire names
// ("channels", "groups", "uuids", "spaces", "users"), bitmasks by name.
type Decoded struct {
	Version        uint64                       `json:"version"`
	Timestamp      uint64                       `json:"timestamp"`
	TTL            uint64                       `json:"ttl"`
	AuthorizedUUID *string                      `json:"authorized_uuid"`
	Resources      map[string]map[string]uint32 `json:"resources"`
	Patterns       map[string]map[string]uint32 `json:"patterns"`
	Meta           map[string]any               `json:"meta"`
	SignatureHex   string                       `json:"signature_hex"`
}

// Path returns the path of name in the module's testdata directory, found
// by walking up from the working directory (a test runs in its package's
// directory, in this module or in compare/).
func Path(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "testdata", "tokens.json")); err == nil {
			return filepath.Join(dir, "testdata", name)
		} else if !errors.Is(err, os.ErrNotExist) {
			tb.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("vectors: no testdata/tokens.json above the working directory")
		}
		dir = parent
	}
}

// Read returns the content of testdata/name.
func Read(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Load decodes testdata/name, a JSON file, into v.
func Load(tb testing.TB, name string, v any) {
	tb.Helper()
	if err := json.Unmarshal(Read(tb, name), v); err != nil {
		tb.Fatalf("vectors: %s: %v", name, err)
	}
}

// Tokens returns every token vector, decodable or not.
func Tokens(tb testing.TB) []Token {
	tb.Helper()
	var f struct {
		Tokens []Token `json:"tokens"`
	}
	Load(tb, "tokens.json", &f)
	if len(f.Tokens) == 0 {
		tb.Fatal("vectors: tokens.json holds no tokens")
	}
	return f.Tokens
}

// TokenByID returns the token vector id, or "largest" for the longest
// decodable one.
func TokenByID(tb testing.TB, id string) Token {
	tb.Helper()
	var largest Token
	for _, v := range Tokens(tb) {
		if v.ID == id {
			return v
		}
		if v.Decodable && len(v.Token) > len(largest.Token) {
			largest = v
		}
	}
	if id == "largest" {
		return largest
	}
	tb.Fatalf("vectors: no token %q", id)
	return Token{}
}
