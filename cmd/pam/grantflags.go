package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pamkit/pam"
)

// The flag values of pam grant. Each checks its value as it is given, so
// that a mistake is reported with the flag that carries it.

// errTTLRange is the answer to any ttl out of range, however written.
var errTTLRange = errors.New("a ttl is between 1 minute and 30 days (43200 minutes)")

// maxTTLMinutes is the longest ttl, in minutes.
const maxTTLMinutes = int64(pam.MaxTTL / time.Minute)

// durationSyntax matches what time.ParseDuration reads, so that a duration
// it refuses for its size is told apart from one it cannot read.
var durationSyntax = regexp.MustCompile(`^[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`)

// ttlFlag is --ttl.
type ttlFlag struct {
	d   time.Duration
	set bool
}

// String is the ttl in minutes, or "" when none is set.
func (t *ttlFlag) String() string {
	if t.d == 0 {
		return ""
	}
	return strconv.FormatInt(int64(t.d/time.Minute), 10)
}

// Set reads a number of minutes ("15"), of days ("7d") or a duration
// ("15m", "2h"), checking the range before any arithmetic.
func (t *ttlFlag) Set(s string) error {
	d, err := parseTTL(s)
	if err != nil {
		return err
	}
	t.d, t.set = d, true
	return nil
}

func parseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	unit := time.Minute
	digits := s
	if strings.HasSuffix(s, "d") {
		unit, digits = 24*time.Hour, strings.TrimSuffix(s, "d")
	}
	if n, err := strconv.ParseInt(digits, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || n < 1 || n > maxTTLMinutes*int64(time.Minute)/int64(unit) {
			return 0, errTTLRange
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && durationSyntax.MatchString(s):
		return 0, errTTLRange // too large for a duration
	case err != nil:
		return 0, errors.New("not a duration such as 15m, 2h or 7d, nor a number of minutes")
	case d < time.Minute || d > pam.MaxTTL:
		return 0, errTTLRange
	case d%time.Minute != 0:
		return 0, fmt.Errorf("not a whole number of minutes (ttls are counted in minutes), e.g. %dm", max(d/time.Minute, 1))
	}
	return d, nil
}

// optString is a string flag that knows whether it was given.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string     { return o.v }
func (o *optString) Set(s string) error { o.v, o.set = s, true; return nil }

// entries collects one repeatable NAME=PERMS flag.
type entries struct {
	flag    string           // the flag's name, e.g. "channel-pattern"
	rt      pam.ResourceType // the resource type it grants
	pattern bool             // whether NAME is a pattern
	help    string
	list    []entry
}

type entry struct {
	name string
	perm pam.Permission
}

func (es *entries) String() string { return "" }

// Set splits on the last "=", so that names and patterns may contain "=",
// and checks the permissions against the type.
func (es *entries) Set(v string) error {
	i := strings.LastIndexByte(v, '=')
	if i < 0 {
		return errors.New("not NAME=PERMS, e.g. room-1=read,write")
	}
	name, perms := v[:i], v[i+1:]
	switch {
	case name == "":
		return errors.New(`the name before "=" is empty`)
	case !utf8.ValidString(name):
		return errors.New("the name is not valid UTF-8")
	case perms == "":
		return fmt.Errorf(`no permission after "="; name at least one, e.g. %s=%s`, name, es.rt.Allowed().Names()[0])
	}
	p, err := parsePerms(perms)
	if err != nil {
		return err
	}
	if bad := p &^ es.rt.Allowed(); bad != 0 {
		return fmt.Errorf("%s take only %s, not %s", typeName(es.rt, true), strings.Join(es.rt.Allowed().Names(), ", "), strings.Join(bad.Names(), ", "))
	}
	es.list = append(es.list, entry{name, p})
	return nil
}

// typeName names a resource type in sentences: "channel group", or
// "channel groups" when plural.
func typeName(rt pam.ResourceType, plural bool) string {
	name := "channel"
	switch rt {
	case pam.ChannelGroup:
		name = "channel group"
	case pam.UUID:
		name = "uuid"
	}
	if plural {
		name += "s"
	}
	return name
}

// metas collects the repeatable --meta flag.
type metas struct {
	keys []string
	vals []any
}

func (m *metas) String() string { return "" }

// Set reads KEY=VALUE, whose value is the string as typed, or KEY:=JSON,
// whose value is a JSON number, true, false, null or a JSON string.
func (m *metas) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New(`not KEY=VALUE (a string) nor KEY:=JSON (a number, true, false or null), e.g. plan=pro or seats:=5`)
	}
	if typed, ok := strings.CutSuffix(k, ":"); ok {
		x, err := metaJSON(val)
		if err != nil {
			return err
		}
		m.keys, m.vals = append(m.keys, typed), append(m.vals, x)
		return nil
	}
	m.keys, m.vals = append(m.keys, k), append(m.vals, val)
	return nil
}

// metaJSON reads the value of KEY:=JSON. Integers stay exact: they must fit
// 64 bits, signed or unsigned; other numbers become float64.
func metaJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, errors.New(`the value after ":=" is not JSON; write a number (5, 1.5), true, false, null or a quoted string, or use KEY=VALUE for a plain string`)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New(`the value after ":=" has more than one JSON value`)
	}
	switch v := x.(type) {
	case json.Number:
		return metaNumber(string(v))
	case map[string]any, []any:
		return nil, errors.New("meta values are strings, numbers, true, false or null; objects and arrays cannot be granted")
	}
	return x, nil
}

// metaNumber reads a JSON number: an integer as int64 or uint64, exactly,
// anything else as a finite float64.
func metaNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
		return nil, errors.New("the integer does not fit 64 bits, which is what a token holds; pass it as a string with KEY=VALUE")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, errors.New("the number is out of range for a token; pass it as a string with KEY=VALUE")
	}
	return f, nil
}
