// Package pamtest is a local PubNub Access Manager v3 emulator for tests.
//
// [NewServer] starts it on 127.0.0.1; point a pam.Client at it with
// [Server.Client] (or pam.WithOrigin(s.URL)), and any other PubNub client
// with the server's address and [Server.Keys]:
//
//	s := pamtest.NewServer()
//	defer s.Close()
//	c := s.Client()
//	token, err := c.GrantToken(ctx, pam.NewTokenRequest(15*time.Minute).
//		AuthorizedUUID("user-1").
//		Channel("room-1", pam.Read|pam.Write))
//
// It behaves like the service as far as the service's behaviour is
// recorded:
//
//   - POST /v3/pam/{sub}/grant and DELETE /v3/pam/{sub}/grant/{token}
//     verify the v2 signature (over the path exactly as sent, the decoded
//     and re-encoded query, and the exact body) and the ±60 s timestamp
//     window, require Content-Type application/json on grant, validate the
//     body, and answer errors in the service's v3 shape with its messages.
//   - Tokens are real-format CBOR (the service's key order, URL-safe base64
//     with padding), signed with HMAC-SHA256 over the unsigned map. The
//     service's own signing key is not public: the emulator signs with the
//     keyset's secret key, so its tokens are refused by the real service
//     and the real service's tokens by the emulator.
//   - GET /publish/{pub}/{sub}/0/{channel}/0/{message} (needs write) and
//     GET /v3/history/sub-key/{sub}/channel/{channels} (needs read on each)
//     enforce the token sent as auth=: expired, revoked, bound to another
//     uuid, not signed for this keyset, or lacking the permission, each with
//     the service's flat 403 body. GET /time/0 answers a timetoken.
//
// Every response carries the service's Content-Type
// (text/javascript; charset=UTF-8) and a Date header from the emulator's
// clock ([WithClock]). State is in memory and safe for concurrent use, and
// bounded whatever is sent to it:
//
//   - published messages: a publish whose channel and message, as sent
//     (escaped), pass 32 KiB is answered 413 [0,"Message Too Large",…], as
//     the service does; the emulator keeps the last 100 messages of each
//     channel ([Server.Messages] returns them), and at most 32 MiB
//     (counting each message's bytes, uuid and a fixed overhead) and
//     100,000 messages in all, dropping the oldest first;
//   - revocations: each costs O(1), and a revocation is dropped once its
//     token has expired (an expired token is refused as expired anyway);
//   - tokens: a grant whose token would be longer than 32,764 characters is
//     refused with 400 "Token too large" in the v3 error shape, so every
//     token the emulator issues can be read back by it and by
//     pam.ParseToken (32 KiB, with room for percent-encoded padding).
//
// Where the service's text is not recorded the emulator chooses its own
// (see the README section "Testing your code with pamtest"): 400 "Invalid
// timestamp" for a stale or missing timestamp, 400 "Invalid Content-Type",
// 400 "Invalid subscribe key", and the flat 403 messages
// "Token is invalid." (undecodable or signed for another keyset),
// "Token is not authorized for this uuid." (uuid mismatch) and
// "Token is bound to a uuid, but the request's uuid is missing." (no uuid=).
package pamtest
