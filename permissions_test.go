package pam

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPermissionValues(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []Permission{1, 2, 4, 8, 16, 32, 64, 128}, []Permission{Read, Write, Manage, Delete, Create, Get, Update, Join})
	assert.Equal(t, Permission(239), Channel.Allowed())
	assert.Equal(t, Permission(5), ChannelGroup.Allowed())
	assert.Equal(t, Permission(104), UUID.Allowed())
	assert.Equal(t, Channel.Allowed(), Space.Allowed())
	assert.Equal(t, UUID.Allowed(), User.Allowed())
	assert.Equal(t, Permission(0), ResourceType(9).Allowed())
	assert.Equal(t, Permission(255), AllPermissions)
}

func TestPermissionString(t *testing.T) {
	t.Parallel()
	for p, want := range map[Permission]string{
		0:            "none",
		Read:         "read",
		Read | Write: "read|write",
		239:          "read|write|manage|delete|get|update|join",
		Join | 1<<8:  "join|0x100",
		1 << 12:      "0x1000",
	} {
		assert.Equal(t, want, p.String())
	}
	assert.Equal(t, []string{"get", "update"}, (Get | Update).Names())
	assert.True(t, Permission(239).Has(Read|Join))
	assert.False(t, Read.Has(Read|Write))
}

func TestPermissionJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Read | Join)
	require.NoError(t, err)
	assert.JSONEq(t, `{"read":true,"write":false,"manage":false,"delete":false,"get":false,"update":false,"join":true}`, string(b))
	b, err = json.Marshal(Create | Get)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"create":true`)

	for in, want := range map[string]Permission{
		`{"read":true,"write":false,"join":true}`: Read | Join,
		`239`:                        239,
		`{"GET":true,"create":true}`: Get | Create,
	} {
		var p Permission
		require.NoError(t, json.Unmarshal([]byte(in), &p), in)
		assert.Equal(t, want, p, in)
	}
	var p Permission
	assert.Error(t, json.Unmarshal([]byte(`{"fly":true}`), &p))
	assert.Error(t, json.Unmarshal([]byte(`"read"`), &p))
}

func TestParsePermission(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"read", "write", "manage", "delete", "create", "get", "update", "join"} {
		p, ok := ParsePermission(name)
		require.True(t, ok)
		assert.Equal(t, name, p.String())
	}
	_, ok := ParsePermission("admin")
	assert.False(t, ok)
}

func TestResourceTypeString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "channels", Channel.String())
	assert.Equal(t, "groups", ChannelGroup.String())
	assert.Equal(t, "uuids", UUID.String())
	assert.Equal(t, "spaces", Space.String())
	assert.Equal(t, "users", User.String())
	assert.Equal(t, "ResourceType(7)", ResourceType(7).String())
	assert.Equal(t, "channel group", ChannelGroup.singular())
	assert.Equal(t, "space", Space.singular())
	assert.Equal(t, "user", User.singular())
	assert.Equal(t, "ResourceType(7)", ResourceType(7).singular())
}
