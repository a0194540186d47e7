package authztest

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"time"

	"github.com/pamkit/pam/internal/tokencodec"
)

// ForgedToken returns a token anyone can make, since a token's signature
// cannot be checked without the secret key: n channel patterns written
// with format (such as "%d.{0,1000}~", 1,200 of which make a 24 KB token),
// each granting read and write, issued now for an hour.
func ForgedToken(format string, n int) (string, error) {
	pats := make(map[string]uint32, n)
	for i := range n {
		pats[fmt.Sprintf(format, i)] = 3
	}
	b, err := tokencodec.Encode(&tokencodec.Token{
		Version: tokencodec.Version, Timestamp: uint64(time.Now().Unix()), TTL: 60,
		Pat: tokencodec.Grants{Chan: pats}, Sig: make([]byte, 32),
	}, true)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// Allocated returns the bytes f allocates (with the allocations of any
// goroutine running meanwhile).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
