package pam

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Permission is a set of Access Manager permissions, stored as the bitmask the
// service uses on the wire and inside tokens.
type Permission uint32

// The permission bits, with the values the service uses.
const (
	// Read allows subscribing, reading history and listing channel groups.
	Read Permission = 1 << iota
	// Write allows publishing and sending signals.
	Write
	// Manage allows managing channel groups and App Context memberships.
	Manage
	// Delete allows deleting messages, files and App Context metadata.
	Delete
	// Create allows creating users and spaces in the users/spaces API.
	//
	// Deprecated: only the users/spaces API, itself deprecated, uses
	// Create; no channel, channel group or uuid grant takes it. App Context,
	// which replaced that API, creates and changes metadata with [Update].
	Create
	// Get allows reading App Context metadata.
	Get
	// Update allows updating App Context metadata.
	Update
	// Join allows joining a channel as a member (App Context).
	Join
)

// AllPermissions is the union of every defined permission bit.
const AllPermissions = Read | Write | Manage | Delete | Create | Get | Update | Join

// permissionNames lists every bit with its name, in bit order.
var permissionNames = [...]struct {
	bit  Permission
	name string
}{
	{Read, "read"}, {Write, "write"}, {Manage, "manage"}, {Delete, "delete"},
	{Create, "create"}, {Get, "get"}, {Update, "update"}, {Join, "join"},
}

// Has reports whether p contains every bit of q.
func (p Permission) Has(q Permission) bool { return p&q == q }

// String returns the names of the set bits joined by "|", such as "read|write";
// "none" for zero. Bits outside [AllPermissions] are printed as a hex number.
func (p Permission) String() string {
	if p == 0 {
		return "none"
	}
	var b strings.Builder
	for _, pn := range permissionNames {
		if p&pn.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(pn.name)
		}
	}
	if rest := p &^ AllPermissions; rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x")
		b.WriteString(strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}

// Names returns the names of the defined bits set in p, in bit order.
func (p Permission) Names() []string {
	var out []string
	for _, pn := range permissionNames {
		if p&pn.bit != 0 {
			out = append(out, pn.name)
		}
	}
	return out
}

// MarshalJSON encodes p as an object of booleans with the keys read, write,
// manage, delete, get, update and join (the shape the JavaScript SDK prints),
// plus create when that bit is set.
func (p Permission) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 96)
	b = append(b, '{')
	first := true
	for _, pn := range permissionNames {
		if pn.bit == Create && p&Create == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, pn.name...)
		b = append(b, `":`...)
		b = strconv.AppendBool(b, p&pn.bit != 0)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON accepts the object-of-booleans form written by MarshalJSON,
// or a bare bitmask number.
func (p *Permission) UnmarshalJSON(data []byte) error {
	var n uint32
	if err := json.Unmarshal(data, &n); err == nil {
		*p = Permission(n)
		return nil
	}
	var m map[string]bool
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	var out Permission
	for name, set := range m {
		bit, ok := ParsePermission(name)
		if !ok {
			return &json.UnsupportedValueError{Str: "pam: unknown permission " + strconv.Quote(name)}
		}
		if set {
			out |= bit
		}
	}
	*p = out
	return nil
}

// ParsePermission returns the bit named by name ("read", "write", "manage",
// "delete", "create", "get", "update" or "join", case-insensitive).
func ParsePermission(name string) (Permission, bool) {
	for _, pn := range permissionNames {
		if strings.EqualFold(pn.name, name) {
			return pn.bit, true
		}
	}
	return 0, false
}

// ResourceType names a kind of resource a token grants access to.
type ResourceType int

// The resource types.
const (
	// Channel is a channel, named exactly or by a pattern.
	Channel ResourceType = iota
	// ChannelGroup is a channel group.
	ChannelGroup
	// UUID is a uuid: a user's or a device's App Context metadata.
	UUID
	// Space is a space of the users/spaces API, sent as a channel.
	//
	// Deprecated: use [Channel]; spaces are channels on the wire.
	Space
	// User is a user of the users/spaces API, sent as a uuid.
	//
	// Deprecated: use [UUID]; users are uuids on the wire.
	User
)

// String returns the resource type's name as the grant body spells it:
// "channels", "groups", "uuids", "spaces" or "users". Messages about one
// resource use the singular ("channel", "channel group", "uuid", ...)
// instead.
func (rt ResourceType) String() string {
	switch rt {
	case Channel:
		return "channels"
	case ChannelGroup:
		return "groups"
	case UUID:
		return "uuids"
	case Space:
		return "spaces"
	case User:
		return "users"
	}
	return "ResourceType(" + strconv.Itoa(int(rt)) + ")"
}

// singular returns the resource type's name for use in sentences.
func (rt ResourceType) singular() string {
	switch rt {
	case Channel:
		return "channel"
	case ChannelGroup:
		return "channel group"
	case UUID:
		return "uuid"
	case Space:
		return "space"
	case User:
		return "user"
	}
	return rt.String()
}

// plural returns the resource type's name for use in sentences about
// every resource of the type.
func (rt ResourceType) plural() string {
	if rt == ChannelGroup {
		return "channel groups"
	}
	return rt.String()
}

// Allowed returns the permission bits the service accepts for the type:
// channels and spaces take read, write, manage, delete, get, update and join;
// channel groups take read and manage; uuids and users take get, update and
// delete. An unknown type allows nothing.
func (rt ResourceType) Allowed() Permission {
	switch rt {
	case Channel, Space:
		return Read | Write | Manage | Delete | Get | Update | Join
	case ChannelGroup:
		return Read | Manage
	case UUID, User:
		return Get | Update | Delete
	}
	return 0
}

// wireType returns the type rt is sent as: Space as Channel, User as UUID.
func wireType(rt ResourceType) ResourceType {
	switch rt {
	case Space:
		return Channel
	case User:
		return UUID
	}
	return rt
}
