package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	want := `1. The device sets a token it got from the app server
   publish "before any token": 403 {"message":"Forbidden","payload":{"channels":["room-1"]},"error":true,"service":"Access Manager","status":403}
   token for device-1, expires 09:01:00
   publish "hello": 200 published
   (the clock moves to 09:02:00)
   publish "still there?": 403 {"error":true,"status":403,"service":"Access Manager","message":"Token is expired."}

2. The device gets its token from a TokenSource
   publish "one": 200 published
   publish "two": 200 published
   publish "three": 200 published
   grants: 1 (one token, reused)
   (the clock moves to 09:04:00: the token has expired)
   publish "four": 200 published
   grants: 2 (refreshed before sending)
   (the app server revokes the device's token)
   publish "five": 200 published
   grants: 3 (the 403 "Token is revoked" brought a new token; the publish was retried once)
`
	assert.Equal(t, want, out.String())
}
