package pam

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzTokenRequest builds requests from arbitrary names, bits and meta and
// checks that nothing panics, that Validate accepts only requests whose body
// is valid JSON, and that every problem is reported with the pam: prefix.
func FuzzTokenRequest(f *testing.F) {
	f.Add(int64(60), "room-1", uint32(3), "^room-.*$", uint32(1), "k", "v", uint8(0))
	f.Add(int64(0), "", uint32(0), "(", uint32(1<<9), "", "\xff", uint8(3))
	f.Add(int64(43200), "a&<>\u2028", uint32(239), "x", uint32(104), "é", "\"\\", uint8(5))
	f.Fuzz(func(t *testing.T, minutes int64, name string, bits uint32, pattern string, pbits uint32, mk, mv string, kind uint8) {
		r := NewTokenRequest(time.Duration(minutes) * time.Minute)
		rt := ResourceType(kind % 5)
		if kind&8 != 0 {
			r.AuthorizedUUID(mk)
		}
		switch rt {
		case Channel:
			r.Channel(name, Permission(bits)).ChannelPattern(pattern, Permission(pbits))
		case ChannelGroup:
			r.ChannelGroup(name, Permission(bits)).ChannelGroupPattern(pattern, Permission(pbits))
		case UUID:
			r.UUID(name, Permission(bits)).UUIDPattern(pattern, Permission(pbits))
		case Space:
			r.Space(name, Permission(bits)).SpacePattern(pattern, Permission(pbits))
		case User:
			r.User(name, Permission(bits)).UserPattern(pattern, Permission(pbits))
		}
		r.Meta(mk, mv)
		body, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON body %q", body)
		}
		if verr := r.Validate(); verr != nil {
			for _, line := range strings.Split(verr.Error(), "\n") {
				if !strings.HasPrefix(line, "pam: ") {
					t.Fatalf("error line without prefix: %q", line)
				}
			}
			return
		}
		// A valid request round-trips through JSON with the names intact.
		var parsed struct {
			TTL         int64 `json:"ttl"`
			Permissions struct {
				Resources map[string]map[string]uint32 `json:"resources"`
				Meta      map[string]string            `json:"meta"`
			} `json:"permissions"`
		}
		if err := json.Unmarshal(body, &parsed); err != nil {
			t.Fatal(err)
		}
		if parsed.TTL != minutes || parsed.Permissions.Meta[mk] != mv {
			t.Fatalf("body %s does not carry ttl %d and meta %q=%q", body, minutes, mk, mv)
		}
		wire := map[ResourceType]string{Channel: "channels", Space: "channels", ChannelGroup: "groups", UUID: "uuids", User: "uuids"}[rt]
		if parsed.Permissions.Resources[wire][name] != bits {
			t.Fatalf("body %s lost %s %q=%d", body, wire, name, bits)
		}
	})
}

// FuzzAPIError decodes arbitrary error bodies: nothing panics and the raw
// body kept is bounded.
func FuzzAPIError(f *testing.F) {
	f.Add(403, []byte(`{"error":true,"status":403,"service":"Access Manager","message":"Token is revoked"}`))
	f.Add(400, []byte(`{"error":{"message":"Invalid ttl","source":"grant","details":[{"message":"m","location":"ttl","locationType":"body"}]},"service":"Access Manager","status":400}`))
	f.Add(502, []byte(`<html>`))
	f.Add(403, []byte(`{"message":"Forbidden","payload":{"channels":["a"]},"error":true}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newAPIError("grant token", status, body)
		if len(e.Body) > maxErrorBody {
			t.Fatalf("kept %d bytes", len(e.Body))
		}
		if !strings.HasPrefix(e.Error(), "pam: grant token: ") {
			t.Fatalf("bad message %q", e.Error())
		}
	})
}
