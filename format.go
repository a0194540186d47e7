package pam

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// redactedText stands in for a secret key or a token wherever a [Keys] or a
// [Client] is printed, logged or encoded.
const redactedText = "[redacted]"

// redactedIf returns redactedText for a secret that is set and "" for
// one that is not, so that a printed value still shows which it is.
func redactedIf(set bool) string {
	if !set {
		return ""
	}
	return redactedText
}

// String prints the keys with the secret key redacted, so that a Keys value
// that reaches a log or an error does not leak the secret.
func (k Keys) String() string {
	return "{Subscribe:" + k.Subscribe + " Publish:" + k.Publish + " Secret:" + redactedIf(k.Secret != "") + "}"
}

// GoString is like String, for the %#v verb.
func (k Keys) GoString() string { return "pam.Keys" + k.String() }

// Format implements [fmt.Formatter] so that every verb, not only %v and %s,
// prints the redacted form: without it %d or %x would print the fields, the
// secret key among them.
func (k Keys) Format(f fmt.State, verb rune) { formatRedacted(f, verb, k.String(), k.GoString()) }

// LogValue implements [slog.LogValuer]: the keys as a group, the secret key
// redacted.
func (k Keys) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("subscribe", k.Subscribe),
		slog.String("publish", k.Publish),
		slog.String("secret", redactedIf(k.Secret != "")),
	)
}

// MarshalJSON encodes the keys with the secret key replaced by
// "[redacted]" (or "" when there is none). The field names are those
// encoding/json decodes into Keys, but the secret does not survive the
// round trip: keep the real key out of anything encoded.
func (k Keys) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Subscribe, Publish, Secret string }{k.Subscribe, k.Publish, redactedIf(k.Secret != "")})
}

// String describes the client: its origin, subscribe and publish keys and
// user id, with the secret key and the current token redacted.
func (c *Client) String() string {
	if c == nil {
		return "pam.Client(nil)"
	}
	return "pam.Client{origin:" + c.scheme + "://" + c.host + " subscribe:" + c.keys.Subscribe +
		" publish:" + c.keys.Publish + " user:" + c.userID + " secret:" + redactedIf(c.hasSecret) +
		" token:" + redactedIf(c.Token() != "") + "}"
}

// GoString is like String, for the %#v verb.
func (c *Client) GoString() string {
	if c == nil {
		return "(*pam.Client)(nil)"
	}
	return "&" + c.String()
}

// Format implements [fmt.Formatter]: every verb prints the redacted form of
// String.
func (c *Client) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String(), c.GoString()) }

// LogValue implements [slog.LogValuer]: the client's origin, keys and user
// id as a group, with the secret key and the token redacted.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue(c.String())
	}
	return slog.GroupValue(
		slog.String("origin", c.scheme+"://"+c.host),
		slog.String("subscribe", c.keys.Subscribe),
		slog.String("publish", c.keys.Publish),
		slog.String("user", c.userID),
		slog.String("secret", redactedIf(c.hasSecret)),
		slog.String("token", redactedIf(c.Token() != "")),
	)
}

// MarshalJSON encodes what LogValue shows, as an object; a nil client is
// null.
func (c *Client) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Origin    string `json:"origin"`
		Subscribe string `json:"subscribe"`
		Publish   string `json:"publish"`
		User      string `json:"user"`
		Secret    string `json:"secret"`
		Token     string `json:"token"`
	}{c.scheme + "://" + c.host, c.keys.Subscribe, c.keys.Publish, c.userID, redactedIf(c.hasSecret), redactedIf(c.Token() != "")})
}

// formatRedacted writes s, already redacted, for any verb and flags: %#v
// writes goString, every other verb formats s as a string would be (so %x
// hex-encodes the redacted text, never the fields).
func formatRedacted(f fmt.State, verb rune, s, goString string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, goString)
		return
	}
	switch verb {
	case 'v', 's', 'q', 'x', 'X':
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s)
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(%s)", verb, s)
	}
}

// String describes the cache by its size; the tokens it holds are never
// printed. (Without it, %v of a *GrantCache prints its maps, tokens and
// all.)
func (g *GrantCache) String() string {
	if g == nil {
		return "pam.GrantCache(nil)"
	}
	return "pam.GrantCache{entries:" + strconv.Itoa(g.Stats().Entries) + "}"
}

// Format implements [fmt.Formatter]: every verb prints String.
func (g *GrantCache) Format(f fmt.State, verb rune) { formatRedacted(f, verb, g.String(), g.String()) }

// LogValue implements [slog.LogValuer]: the cache's size, no token.
func (g *GrantCache) LogValue() slog.Value { return slog.StringValue(g.String()) }

// String says whether the source holds a token, never which.
func (s *reuseTokenSource) String() string {
	s.mu.Lock()
	has := s.tok != ""
	s.mu.Unlock()
	return "pam.ReuseTokenSource{early:" + s.early.String() + " token:" + redactedIf(has) + "}"
}

// Format implements [fmt.Formatter]: every verb prints String, so that a
// logged TokenSource never shows the token it caches.
func (s *reuseTokenSource) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, s.String(), s.String())
}

// LogValue implements [slog.LogValuer]: String, no token.
func (s *reuseTokenSource) LogValue() slog.Value { return slog.StringValue(s.String()) }

var (
	_ fmt.Formatter  = (*GrantCache)(nil)
	_ slog.LogValuer = (*GrantCache)(nil)
	_ fmt.Formatter  = (*reuseTokenSource)(nil)
	_ slog.LogValuer = (*reuseTokenSource)(nil)
	_ fmt.Formatter  = Keys{}
	_ fmt.Stringer   = Keys{}
	_ fmt.GoStringer = Keys{}
	_ slog.LogValuer = Keys{}
	_ json.Marshaler = Keys{}
	_ fmt.Formatter  = (*Client)(nil)
	_ slog.LogValuer = (*Client)(nil)
	_ json.Marshaler = (*Client)(nil)
)
