// Package compare holds side-by-side tests of pam against the official
// PubNub Go SDK (github.com/pubnub/go/v7): interop with the pamtest
// emulator, equal requests, and speed. It is its own module so that the
// official SDK never becomes a dependency of pam.
package compare
