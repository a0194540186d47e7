package pam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxTokenAnswer bounds the answer HTTPTokenSource reads from a token
// endpoint.
const maxTokenAnswer = 64 << 10

// maxEndpointErrorText bounds the endpoint's error text kept in an error.
const maxEndpointErrorText = 200

// HTTPTokenSource returns a [TokenSource] that fetches a token from a token
// endpoint, such as one served by [TokenHandler]: a GET of url with hc,
// and so with hc's cookie jar and transport (add your credentials there).
// nil hc means a client of its own with a 10 second timeout. Use it on a
// device with [ReuseTokenSource] and [WithTokenSource]:
//
//	src := pam.ReuseTokenSource(pam.HTTPTokenSource("https://api.example.com/pubnub-token", hc), time.Minute)
//	c, err := pam.New(pam.Keys{Subscribe: sub}, pam.WithUserID("user-1"), pam.WithTokenSource(src))
//
// The answer must be 200 with a JSON object whose "token" parses (see
// [ParseToken]); other fields are ignored. Any other status is an error
// carrying the status and the answer's "error" text, and matching
// [ErrUnauthenticated] for a 401 and [ErrPermissionDenied] for a 403. An
// answer over 64 KiB, one that is not JSON, and a token that does not parse
// are errors too; errors never contain the token or the URL's query.
//
// The source caches nothing: every call is a request. [ReuseTokenSource]
// does the caching.
func HTTPTokenSource(url string, hc *http.Client) TokenSource {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &httpTokenSource{url: url, hc: hc}
}

// httpTokenSource is the TokenSource returned by [HTTPTokenSource].
type httpTokenSource struct {
	url string
	hc  *http.Client
}

// Token fetches a token from the endpoint, as [HTTPTokenSource] describes.
func (s *httpTokenSource) Token(ctx context.Context) (string, error) {
	if ctx == nil {
		return "", errors.New("pam: token endpoint: nil context; pass context.Background() or a request context")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return "", errors.New("pam: token endpoint: the URL given to HTTPTokenSource does not parse; pass an absolute http or https URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("pam: token endpoint: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil {
		return "", fmt.Errorf("pam: token endpoint: reading the answer: %w", redactURLError(err))
	}
	return readTokenAnswer(resp.StatusCode, body)
}

// readTokenAnswer returns the token in a token endpoint's answer, or what
// is wrong with the answer.
func readTokenAnswer(status int, body []byte) (string, error) {
	if len(body) > maxTokenAnswer {
		return "", fmt.Errorf("pam: token endpoint: the answer (status %d) is over %d KiB; check the URL points at a token endpoint", status, maxTokenAnswer>>10)
	}
	if status != http.StatusOK {
		return "", &endpointError{status: status, text: endpointErrorText(body)}
	}
	var ans struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return "", errors.New("pam: token endpoint: the answer is not a JSON object; check the URL points at a token endpoint")
	}
	if ans.Token == "" {
		return "", fmt.Errorf("pam: token endpoint: %w: the answer has no \"token\"", ErrMissingToken)
	}
	if _, err := ParseToken(wireToken(ans.Token)); err != nil {
		return "", fmt.Errorf("pam: token endpoint: the answer's token does not parse: %w", err)
	}
	return ans.Token, nil
}

// endpointErrorText returns the "error" text of an error answer, cut to a
// bounded length and stripped of control characters, or "".
func endpointErrorText(body []byte) string {
	var ans struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &ans) != nil {
		return ""
	}
	text := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, ans.Error)
	if len(text) > maxEndpointErrorText {
		text = strings.ToValidUTF8(text[:maxEndpointErrorText], "") + "…"
	}
	return text
}

// endpointError is a token endpoint's answer other than 200.
type endpointError struct {
	status int
	text   string // the answer's "error", bounded; "" if none
}

func (e *endpointError) Error() string {
	msg := "pam: token endpoint answered " + strconv.Itoa(e.status)
	if st := http.StatusText(e.status); st != "" {
		msg += " " + st
	}
	if e.text != "" {
		msg += ": " + e.text
	}
	return msg
}

// Is matches ErrUnauthenticated for a 401 and ErrPermissionDenied for a 403.
func (e *endpointError) Is(target error) bool {
	return (target == ErrUnauthenticated && e.status == http.StatusUnauthorized) ||
		(target == ErrPermissionDenied && e.status == http.StatusForbidden)
}

var _ TokenSource = (*httpTokenSource)(nil)
