package pam

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretForms lists the ways a secret could show up in printed text: as is,
// quoted, and hex-encoded (the %x of a struct encodes its fields).
func secretForms(secrets ...string) []string {
	var forms []string
	for _, s := range secrets {
		forms = append(forms, s, fmt.Sprintf("%q", s), hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
	}
	return forms
}

func assertNoSecret(t *testing.T, what, text string, forms []string) {
	t.Helper()
	for _, f := range forms {
		if strings.Contains(text, f) {
			t.Errorf("%s leaks %q: %s", what, f, text)
		}
	}
}

// TestNoSecretInFormatting formats a *Client, a Keys, and structs embedding
// or holding them with every fmt verb, through slog's text and JSON
// handlers and through encoding/json: no secret key and no token comes out.
func TestNoSecretInFormatting(t *testing.T) {
	t.Parallel()
	const secret = "sec-c-TOPSECRET-4b1d"
	token := mkToken(t, time.Now(), time.Hour, "format")
	keys := Keys{Subscribe: "sub-c-1", Publish: "pub-c-1", Secret: secret}
	c, err := New(keys, WithUserID("user-1"))
	require.NoError(t, err)
	c.SetToken(token)
	forms := secretForms(secret, token)

	type embedsKeys struct {
		Keys
		Note string
	}
	type embedsClient struct {
		*Client
		Note string
	}
	// String and the other methods are ambiguous here, so not promoted:
	// fmt prints the fields, each redacted. encoding/json would inline
	// the embedded Keys' fields, so it is not marshalled (see Keys).
	type embedsBoth struct {
		*Client
		Keys
	}
	type holds struct {
		K Keys
		C *Client
	}
	values := map[string]any{
		"*Client":         c,
		"Keys":            keys,
		"*Keys":           &keys,
		"embedded Keys":   embedsKeys{keys, "n"},
		"embedded Client": embedsClient{c, "n"},
		"embedded both":   embedsBoth{c, keys},
		"fields":          holds{keys, c},
		"slice":           []any{keys, c},
		"map":             map[string]any{"k": keys, "c": c},
		// fmt reaches a Client's fields only through reflection; they
		// must hold nothing secret either.
		"Client's fields": reflect.ValueOf(c).Elem(),
	}
	for name, v := range values {
		assertRedactedEverywhere(t, name, v, forms)
	}

	// What is not secret is still there to read.
	assert.Contains(t, fmt.Sprint(c), "sub-c-1")
	assert.Contains(t, fmt.Sprint(c), "user-1")
	assert.Contains(t, fmt.Sprint(c), "token:[redacted]")
	assert.Contains(t, fmt.Sprint(keys), "Secret:[redacted]")
	b, err := json.Marshal(keys)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Subscribe":"sub-c-1","Publish":"pub-c-1","Secret":"[redacted]"}`, string(b))
}

// TestFormattingEmpty: an unset secret or token prints as empty, not as
// "[redacted]", and a nil *Client prints without panicking.
func TestFormattingEmpty(t *testing.T) {
	t.Parallel()
	c, err := New(Keys{Subscribe: "s"}, WithUserID("u"))
	require.NoError(t, err)
	assert.Equal(t, "pam.Client{origin:https://ps.pndsn.com subscribe:s publish: user:u secret: token:}", c.String())
	assert.Equal(t, "{Subscribe:s Publish: Secret:}", fmt.Sprint(Keys{Subscribe: "s"}))
	var nilClient *Client
	assert.Equal(t, "pam.Client(nil)", fmt.Sprint(nilClient))
	assert.Equal(t, "(*pam.Client)(nil)", fmt.Sprintf("%#v", nilClient))
	b, err := json.Marshal(nilClient)
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
	assert.Equal(t, "pam.Keys{Subscribe:s Publish: Secret:}", fmt.Sprintf("%#v", Keys{Subscribe: "s"}))
	assert.Equal(t, `"{Subscribe:s Publish: Secret:}"`, fmt.Sprintf("%q", Keys{Subscribe: "s"}))
	assert.Equal(t, "%!d({Subscribe:s Publish: Secret:})", fmt.Sprintf("%d", Keys{Subscribe: "s"}))
}

// assertRedactedEverywhere formats v with every fmt verb, through slog's
// text and JSON handlers and through encoding/json, and finds none of forms.
func assertRedactedEverywhere(t *testing.T, name string, v any, forms []string) {
	t.Helper()
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%10.3s", "%-40v", "%T"}
	for _, verb := range verbs {
		assertNoSecret(t, name+" "+verb, fmt.Sprintf(verb, v), forms)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		// %p of a non-pointer bypasses every method (go vet reports
		// it); of a pointer it is the address.
		assertNoSecret(t, name+" %p", fmt.Sprintf("%p", v), forms)
	}
	assertNoSecret(t, name+" Sprint", fmt.Sprint(v), forms)
	assertNoSecret(t, name+" Sprintln", fmt.Sprintln(v), forms)

	if _, isReflect := v.(reflect.Value); isReflect {
		return
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, &slog.HandlerOptions{Level: slog.LevelDebug})).
		Debug("value", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
	assertNoSecret(t, name+" slog text", text.String(), forms)
	if name == "embedded both" {
		return
	}
	slog.New(slog.NewJSONHandler(&js, &slog.HandlerOptions{Level: slog.LevelDebug})).
		Debug("value", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
	assertNoSecret(t, name+" slog JSON", js.String(), forms)
	assert.NotContains(t, js.String(), "!ERROR", "%s: slog JSON failed", name)

	if name == "embedded both" {
		return
	}
	b, err := json.Marshal(v)
	require.NoError(t, err, name)
	assertNoSecret(t, name+" json.Marshal", string(b), forms)
}

// TestNoTokenInFormattingVending: a GrantCache and a ReuseTokenSource hold
// tokens; printing, logging or encoding them shows none.
func TestNoTokenInFormattingVending(t *testing.T) {
	t.Parallel()
	c, err := New(testKeys, WithClock(fixedClock(1628015484+60)),
		WithHTTPClient(&http.Client{Transport: answerTransport{grantOK}}))
	require.NoError(t, err)
	g, err := NewGrantCache(c, CacheConfig{})
	require.NoError(t, err)
	tok, err := g.GrantToken(context.Background(), NewTokenRequest(time.Hour).AuthorizedUUID("u").Channel("c", Read))
	require.NoError(t, err)
	require.Equal(t, 1, g.Stats().Entries)
	ts := ReuseTokenSource(tokenSourceFunc(func(context.Context) (string, error) { return tok, nil }), time.Minute)
	_, err = ts.Token(context.Background())
	require.NoError(t, err)

	forms := secretForms(tok, strings.TrimRight(tok, "=")[:40])
	for name, v := range map[string]any{"*GrantCache": g, "ReuseTokenSource": ts, "slice": []any{g, ts}} {
		assertRedactedEverywhere(t, name, v, forms)
	}
	assert.Equal(t, "pam.GrantCache{entries:1}", fmt.Sprint(g))
	assert.Equal(t, "pam.ReuseTokenSource{early:1m0s token:[redacted]}", fmt.Sprint(ts))
}
