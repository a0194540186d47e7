package pam

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuilderNilReceiver(t *testing.T) {
	t.Parallel()
	var r *TokenRequest
	assert.Nil(t, r.Channel("c", Read).ChannelGroup("g", Read).UUID("u", Get).ChannelPattern("p", Read).
		ChannelGroupPattern("p", Read).UUIDPattern("p", Get).Meta("k", 1).AuthorizedUUID("u").
		AuthorizedUserID("u").Space("s", Read).SpacePattern("s", Read).User("u", Get).UserPattern("u", Get))
	c, rec := setup(t, 200, grantOK)
	_, err := c.GrantToken(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoPermissions)
	assert.Empty(t, rec.requests())
}

// TestTokenRequestEntries: names added twice are merged (bits ORed), a
// Space and a Channel of the same name are one channel on the wire, the
// last meta value of a key wins, names come out sorted whatever the order
// they were added in, and a copy of a request never changes the original.
func TestTokenRequestEntries(t *testing.T) {
	t.Parallel()
	r := NewTokenRequest(time.Minute).
		Channel("b", Write).ChannelPattern("^b$", Read).Channel("a", Read).Channel("b", Read).
		UUID("u", Get).ChannelGroup("g", Manage).ChannelGroup("g", Read).
		Meta("k", 1).Meta("j", "x").Meta("k", 2)
	body, err := r.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"ttl":1,"permissions":{
		"resources":{"channels":{"a":1,"b":3},"groups":{"g":5},"uuids":{"u":32},"users":{},"spaces":{}},
		"patterns":{"channels":{"^b$":1},"groups":{},"uuids":{},"users":{},"spaces":{}},
		"meta":{"j":"x","k":2}}}`, string(body))
	assert.Contains(t, string(body), `"channels":{"a":1,"b":3}`, "sorted")
	assert.Contains(t, string(body), `"meta":{"j":"x","k":2}`, "sorted, last wins")

	legacy := NewTokenRequest(time.Minute).Space("s", Read).User("p", Get).Space("s", Write).User("p", Update)
	body, err = legacy.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(body), `"resources":{"channels":{"s":3},"groups":{},"uuids":{"p":96}`)

	// A copy appends into its own memory, not the original's.
	orig := NewTokenRequest(time.Minute).Channel("a", Read).Meta("m", 1)
	cp := *orig
	cp.Channel("copy", Write).Meta("c", 1)
	orig.Channel("orig", Read).Meta("o", 1)
	ob, err := orig.MarshalJSON()
	require.NoError(t, err)
	cb, err := cp.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(ob), `"channels":{"a":1,"orig":1}`)
	assert.Contains(t, string(ob), `"meta":{"m":1,"o":1}`)
	assert.Contains(t, string(cb), `"channels":{"a":1,"copy":2}`)
	assert.Contains(t, string(cb), `"meta":{"c":1,"m":1}`)

	// Many names in any order come out sorted and merged; encoding the same
	// request from many goroutines is safe and gives the same bytes.
	big := NewTokenRequest(time.Minute)
	want := NewTokenRequest(time.Minute)
	for i := range 100 {
		big.Channel(fmt.Sprintf("c-%03d", (i*37)%100), Read)
		want.Channel(fmt.Sprintf("c-%03d", i), Read)
	}
	big.Channel("c-050", Write)
	want.Channel("c-050", Write)
	wb, err := want.MarshalJSON()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gb, err := big.MarshalJSON()
			assert.NoError(t, err)
			assert.Equal(t, string(wb), string(gb))
			assert.NoError(t, big.Validate())
		}()
	}
	wg.Wait()
	assert.Contains(t, string(wb), `"c-049":1,"c-050":3,"c-051":1`)
}
