package pam

import (
	"context"
	"net/http"
	"time"
)

// serverNow is the client's estimate of the service's clock: the local
// clock plus the offset learnt from an "Invalid timestamp" answer. Requests
// are signed with it, and expiry checks may use it.
func (c *Client) serverNow() time.Time {
	return c.now().Add(time.Duration(c.clockOffset.Load()))
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Bounds on what an answer's Date header may teach the client: a clock
// more than a day off is not drift but a broken clock or a lying server
// (whichever it is, signing with it would not help), and no Access Manager
// v3 answer was dated before 2020.
const maxClockOffset = 24 * time.Hour

var minServiceDate = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// clockSkew reports whether an answer says the request's timestamp was
// outside the service's window and carries a usable, plausible Date header
// (see maxClockOffset); if so it returns that date and the local clock's
// time when the answer arrived.
func (c *Client) clockSkew(e *APIError, h http.Header) (skewed bool, serverDate, localDate time.Time) {
	if e.kind() != answerInvalidTimestamp {
		return false, time.Time{}, time.Time{}
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return false, time.Time{}, time.Time{}
	}
	local := c.now()
	if date.Before(minServiceDate) || date.Sub(local).Abs() > maxClockOffset {
		return false, time.Time{}, time.Time{}
	}
	return true, date, local
}

// learnOffset sets the client's clock offset so that [Client.serverNow]
// reads serverDate at localDate.
func (c *Client) learnOffset(ctx context.Context, op string, serverDate, localDate time.Time) {
	offset := serverDate.Sub(localDate)
	c.clockOffset.Store(int64(offset))
	c.logClock(ctx, op, offset)
}
