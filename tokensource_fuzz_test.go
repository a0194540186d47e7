package pam

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzReadTokenAnswer: whatever a token endpoint answers, reading it never
// panics; a token is returned only from a 200 within the size bound, and it
// parses; errors are bounded in size and never repeat a token they refused.
func FuzzReadTokenAnswer(f *testing.F) {
	tok := mkToken(f, t0, 15*time.Minute, "room-1")
	f.Add(200, []byte(`{"token":"`+tok+`","expires_at":"2023-11-14T22:28:20Z","ttl":15}`))
	f.Add(200, []byte(`{"token":"`+tok[:20]+`"}`))
	f.Add(401, []byte(`{"error":"unauthenticated"}`))
	f.Add(502, []byte(`{"error":"`+strings.Repeat("é", 150)+`"}`))
	f.Add(200, []byte(`<html>`))
	f.Add(200, []byte(`{"token":""}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		got, err := readTokenAnswer(status, body)
		if err != nil {
			if got != "" {
				t.Fatalf("a token and an error: %v", err)
			}
			if len(err.Error()) > 1024 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			var ans struct{ Token string }
			if status == 200 && json.Unmarshal(body, &ans) == nil && len(ans.Token) >= 16 && strings.Contains(err.Error(), ans.Token) {
				t.Fatalf("the error repeats the token: %v", err)
			}
			return
		}
		if status != 200 || len(body) > maxTokenAnswer {
			t.Fatalf("a token from status %d, %d bytes", status, len(body))
		}
		if _, err := ParseToken(wireToken(got)); err != nil {
			t.Fatalf("returned a token that does not parse: %v", err)
		}
	})
}
