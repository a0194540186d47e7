package pam

import (
	"context"
	"log/slog"
	"time"
)

// WithLogger sets a logger for the client's requests. Each attempt is one
// Debug record ("pam: request") with the attributes op, method, path,
// status (0 when no answer arrived), duration, attempt and, when it failed,
// error. A retry is announced by a Warn record ("pam: retrying") with the
// reason and the wait, and a clock correction by a Warn record
// ("pam: clock offset corrected") with the offset.
//
// Nothing secret is logged: no query string (so no signature), no request or
// response body, no secret key, and a token in a revoke path is cut to its
// first 8 characters; text the service sent is stripped of the request's
// query, signature and token. Every record is bounded in size: an error
// in it is cut to 2 KiB. Without this option the client logs nothing but
// one record: the Warn record of [Client.Transport] about a PubNub call sent
// off the origin without the token, which goes to [slog.Default] so that
// the mistake is never silent. A nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return optionError("WithLogger", "the logger is nil; pass a *slog.Logger or leave the option out")
		}
		o.logger = l
		return nil
	}
}

// logAttempt records one attempt at Debug level.
func (c *Client) logAttempt(ctx context.Context, op, method, path string, attempt, status int, took time.Duration, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", op),
		slog.String("method", method),
		slog.String("path", redactPath(path)),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.Int("attempt", attempt),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", clip(err.Error(), maxLoggedError)))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "pam: request", attrs...)
}

// logRetry records, at Warn level, that a failed attempt will be retried
// after wait.
func (c *Client) logRetry(ctx context.Context, op, method, path string, attempt int, reason error, wait time.Duration) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "pam: retrying",
		slog.String("op", op),
		slog.String("method", method),
		slog.String("path", redactPath(path)),
		slog.Int("attempt", attempt),
		slog.String("reason", clip(reason.Error(), maxLoggedError)),
		slog.Duration("wait", wait),
	)
}

// logClock records, at Warn level, a new clock offset learnt from an
// "Invalid timestamp" answer.
func (c *Client) logClock(ctx context.Context, op string, offset time.Duration) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "pam: clock offset corrected",
		slog.String("op", op),
		slog.Duration("offset", offset),
	)
}

// warnLogger is where warnings about the client's configuration go: the
// client's logger, or slog.Default() without one.
func (c *Client) warnLogger() *slog.Logger {
	if c.logger != nil {
		return c.logger
	}
	return slog.Default()
}
