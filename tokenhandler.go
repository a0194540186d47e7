package pam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// TokenHandler is a token endpoint: it answers GET and POST requests with a
// token minted through g (a [*GrantCache], so that a fleet refreshing at
// once costs one grant per distinct token, or a [*Client]).
//
// authorize decides, from the request (a session cookie, a header), which
// token the caller gets, and returns its description; it returns an error
// wrapping [ErrUnauthenticated] when the caller has not authenticated, and
// any other error to refuse it. The answers:
//
//   - 200, application/json, Cache-Control: no-store:
//     {"token": "…", "expires_at": "<RFC 3339>", "ttl": <minutes>}
//   - 401 when authorize returns ErrUnauthenticated; 403 for its other errors
//   - 405, with Allow: GET, POST, for other methods
//   - 429, with Retry-After, when g's local rate limit refuses the grant
//     ([ErrRateLimited])
//   - 500 when authorize returns a nil request and no error, or a request
//     that fails [TokenRequest.Validate]: a bug on the server's side
//   - 502 when the grant fails at the service or on the way to it
//
// Error answers are JSON {"error": "…"} with a fixed message for each
// status: they never echo an internal error, the secret key, a signature or
// a token. What went wrong is logged for the operator: 500s at Error level,
// 502s at Warn, refusals at Debug, on the client's logger ([WithLogger]) or
// else slog's default logger.
//
// [HTTPTokenSource] is the device's side of this endpoint.
func TokenHandler(g Granter, authorize func(*http.Request) (*TokenRequest, error)) http.Handler {
	switch v := g.(type) {
	case *Client:
		if v == nil {
			g = nil
		}
	case *GrantCache:
		if v == nil {
			g = nil
		}
	}
	return &tokenHandler{g: g, authorize: authorize, logger: granterLogger(g)}
}

// tokenHandler is the handler returned by [TokenHandler].
type tokenHandler struct {
	g         Granter
	authorize func(*http.Request) (*TokenRequest, error)
	logger    *slog.Logger // nil: slog.Default() at the time of logging
}

// granterLogger returns the logger of the client behind g, if any; g is
// nil or not a nil pointer.
func granterLogger(g Granter) *slog.Logger {
	switch g := g.(type) {
	case *Client:
		return g.logger
	case *GrantCache:
		return g.c.logger
	}
	return nil
}

// ServeHTTP implements [http.Handler].
func (h *tokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeTokenError(w, http.StatusMethodNotAllowed)
		return
	}
	if h.g == nil || h.authorize == nil {
		h.log(ctx, slog.LevelError, "pam: token handler: TokenHandler was given a nil Granter or authorize function")
		writeTokenError(w, http.StatusInternalServerError)
		return
	}
	req, err := h.authorize(r)
	switch {
	case err != nil && errors.Is(err, ErrUnauthenticated):
		h.log(ctx, slog.LevelDebug, "pam: token handler: unauthenticated", slog.String("error", err.Error()))
		writeTokenError(w, http.StatusUnauthorized)
		return
	case err != nil:
		h.log(ctx, slog.LevelDebug, "pam: token handler: refused", slog.String("error", err.Error()))
		writeTokenError(w, http.StatusForbidden)
		return
	case req == nil:
		h.log(ctx, slog.LevelError, "pam: token handler: authorize returned a nil *TokenRequest and no error; return a request, or an error to refuse")
		writeTokenError(w, http.StatusInternalServerError)
		return
	}
	tok, exp, ttl, err := h.mint(ctx, req)
	if err != nil {
		h.grantFailed(w, r, err)
		return
	}
	b := make([]byte, 0, len(tok)+80)
	b = append(b, `{"token":`...)
	b = appendJSONString(b, tok)
	b = append(b, `,"expires_at":"`...)
	b = exp.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","ttl":`...)
	b = strconv.AppendInt(b, int64(ttl/time.Minute), 10)
	b = append(b, "}\n"...)
	writeTokenJSON(w, http.StatusOK, b)
}

// mint grants req through h.g and returns the token, when it expires and
// its ttl: from the cache's entry, or else by parsing the token.
func (h *tokenHandler) mint(ctx context.Context, req *TokenRequest) (string, time.Time, time.Duration, error) {
	if gc, ok := h.g.(*GrantCache); ok {
		tok, exp, err := gc.grant(ctx, req)
		return tok, exp, req.ttl, err
	}
	tok, err := h.g.GrantToken(ctx, req)
	if err != nil {
		return "", time.Time{}, 0, err
	}
	t, err := parseToken(tok)
	if err != nil {
		return "", time.Time{}, 0, fmt.Errorf("the granter returned a token that does not parse: %w", err)
	}
	return tok, t.ExpiresAt(), t.TTL, nil
}

// grantFailed answers a failed grant: 429 for the local rate limit, 500
// (and an Error record) for an invalid request, 502 for everything else.
func (h *tokenHandler) grantFailed(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	var rl *rateLimitError
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.FormatInt(rl.retryAfter(), 10))
		writeTokenError(w, http.StatusTooManyRequests)
	case errors.Is(err, ErrRateLimited):
		w.Header().Set("Retry-After", "1")
		writeTokenError(w, http.StatusTooManyRequests)
	case isInvalidRequest(err):
		h.log(ctx, slog.LevelError, "pam: token handler: authorize returned an invalid request", slog.String("error", err.Error()))
		writeTokenError(w, http.StatusInternalServerError)
	case ctx.Err() != nil:
		h.log(ctx, slog.LevelDebug, "pam: token handler: the request ended before the grant", slog.String("error", err.Error()))
		writeTokenError(w, http.StatusServiceUnavailable)
	default:
		h.log(ctx, slog.LevelWarn, "pam: token handler: grant failed", slog.String("error", err.Error()))
		writeTokenError(w, http.StatusBadGateway)
	}
}

// isInvalidRequest reports whether err says the request or the client's
// keys are invalid, which no retry can fix.
func isInvalidRequest(err error) bool {
	for _, s := range [...]error{ErrInvalidTTL, ErrNoPermissions, ErrInvalidPermission, ErrInvalidMeta, ErrMixedAPIs, ErrMissingSecretKey, ErrMissingPublishKey} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// log writes a record for the operator.
func (h *tokenHandler) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	l := h.logger
	if l == nil {
		l = slog.Default()
	}
	if l.Enabled(ctx, level) {
		l.LogAttrs(ctx, level, msg, attrs...)
	}
}

// tokenErrorBodies are the fixed error answers of a token endpoint.
var tokenErrorBodies = map[int]string{
	http.StatusUnauthorized:        "unauthenticated",
	http.StatusForbidden:           "forbidden",
	http.StatusMethodNotAllowed:    "method not allowed; use GET or POST",
	http.StatusTooManyRequests:     "too many token requests; retry after the time in Retry-After",
	http.StatusInternalServerError: "internal error",
	http.StatusBadGateway:          "the token service is unavailable; retry later",
	http.StatusServiceUnavailable:  "the request ended before a token was granted",
}

// writeTokenError answers status with its fixed JSON error body.
func writeTokenError(w http.ResponseWriter, status int) {
	b := append([]byte(`{"error":`), appendJSONString(nil, tokenErrorBodies[status])...)
	writeTokenJSON(w, status, append(b, "}\n"...))
}

// writeTokenJSON answers status with a JSON body that no cache may keep.
func writeTokenJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
