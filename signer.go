package pam

import (
	"strconv"

	"github.com/google/uuid"
	"github.com/pamkit/pam/internal/sign"
)

// signedQuery returns the query string for a request to path with the given
// method and body: uuid, pnsdk, requestid and timestamp in canonical order,
// followed by the v2 signature over exactly those bytes, the path and the
// body. extra parameters, if any, are signed and sent too.
func (c *Client) signedQuery(method, path string, body []byte, unix int64, extra ...sign.Param) string {
	params := make([]sign.Param, 0, 4+len(extra))
	params = append(params,
		sign.Param{Key: "pnsdk", Value: pnsdk},
		sign.Param{Key: "requestid", Value: uuid.NewString()},
		sign.Param{Key: "timestamp", Value: strconv.FormatInt(unix, 10)},
		sign.Param{Key: "uuid", Value: c.userID},
	)
	params = append(params, extra...)
	if len(extra) > 0 {
		sign.SortParams(params)
	}
	buf := make([]byte, 0, 256)
	buf = sign.AppendQuery(buf, params)
	canonical := string(buf)
	sig := sign.V2(c.keys.Secret, method, c.keys.Publish, path, canonical, body)
	buf = append(buf, "&signature="...)
	buf = append(buf, sig...)
	return string(buf)
}

// escapePathSegment escapes s for use as one path segment: only
// A-Z a-z 0-9 - _ . stay literal, everything else is %XX (space is %20).
func escapePathSegment(s string) string { return sign.Encode(s) }
