package pamtest

import (
	"fmt"
	"time"

	"github.com/pamkit/pam"
)

// defaultMaxTTL is the service's default maximum token lifetime, in minutes.
const defaultMaxTTL = 43200

// Option configures the emulator started by [NewServer] or built by
// [NewHandler].
type Option func(*config)

// config collects what the Option functions set.
type config struct {
	keys           pam.Keys
	now            func() time.Time
	maxTTL         int
	revokeDisabled bool
	err            error // the first invalid option
}

// WithKeys sets the keyset the emulator serves. Empty fields are generated,
// as they are when the option is left out: subscribe keys look like
// "sub-c-<uuid>", publish keys "pub-c-<uuid>" and secret keys
// "sec-c-<uuid>".
func WithKeys(k pam.Keys) Option {
	return func(c *config) { c.keys = k }
}

// WithClock sets the emulator's clock: it stamps tokens, decides whether a
// token has expired, checks request timestamps against it (±60 s) and sends
// it in every response's Date header. nil means time.Now, the default.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			now = time.Now
		}
		c.now = now
	}
}

// WithMaxTTL sets the keyset's maximum token lifetime in minutes; grants with
// a longer ttl are refused with the service's "Invalid ttl" error. The
// default is 43200 (30 days), the service's default. [NewServer] and
// [NewHandler] panic if minutes is less than 1.
func WithMaxTTL(minutes int) Option {
	return func(c *config) {
		if minutes < 1 {
			if c.err == nil {
				c.err = fmt.Errorf("pamtest: WithMaxTTL(%d): the maximum ttl must be at least 1 minute", minutes)
			}
			return
		}
		c.maxTTL = minutes
	}
}

// WithRevokeDisabled turns token revocation off for the keyset, as the
// service's admin portal can: revoke requests are answered with 403
// "Feature disabled".
func WithRevokeDisabled() Option {
	return func(c *config) { c.revokeDisabled = true }
}

// newConfig applies opts over the defaults and generates missing keys.
func newConfig(opts []Option) *config {
	c := &config{now: time.Now, maxTTL: defaultMaxTTL}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.err != nil {
		panic(c.err.Error())
	}
	if c.keys.Subscribe == "" {
		c.keys.Subscribe = "sub-c-" + newUUID()
	}
	if c.keys.Publish == "" {
		c.keys.Publish = "pub-c-" + newUUID()
	}
	if c.keys.Secret == "" {
		c.keys.Secret = "sec-c-" + newUUID()
	}
	return c
}
