package pam

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/pamkit/pam/internal/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sigVector struct {
	Name                 string            `json:"name"`
	Method               string            `json:"method"`
	PublishKey           string            `json:"publish_key"`
	SecretKey            string            `json:"secret_key"`
	Path                 string            `json:"path"`
	QueryParamsDecoded   map[string]string `json:"query_params_decoded"`
	QueryStringSigned    string            `json:"query_string_signed"`
	Body                 string            `json:"body"`
	StringToSign         string            `json:"string_to_sign"`
	ExpectedSignature    string            `json:"expected_signature"`
	MatchesSpec          *bool             `json:"matches_spec_recomputation"`
	SpecSignature        string            `json:"spec_signature"`
	SpecStringToSign     string            `json:"spec_string_to_sign"`
	WhatGoActuallySigned string            `json:"what_go_actually_signed"`
}

type sigFile struct {
	SDK     []sigVector `json:"vectors_from_sdk_tests"`
	Derived []sigVector `json:"derived_from_go_sdk_run"`
	Table   struct {
		Rows []struct {
			Input string `json:"input"`
			Spec  string `json:"spec_encode"`
			GoPam string `json:"go_PamEncode"`
		} `json:"rows"`
	} `json:"pam_percent_encoding_table"`
}

func loadSigFile(t *testing.T) sigFile {
	var f sigFile
	loadJSON(t, "testdata/signatures.json", &f)
	require.NotEmpty(t, f.SDK)
	require.NotEmpty(t, f.Derived)
	require.NotEmpty(t, f.Table.Rows)
	return f
}

// TestSignatureVectors reproduces every v2 signature in the vectors: the
// official SDKs' own test vectors and the requests captured from the
// official Go SDK.
func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	f := loadSigFile(t)
	for _, v := range append(f.SDK, f.Derived...) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			want, query, toSign := v.ExpectedSignature, v.QueryStringSigned, v.StringToSign
			if v.MatchesSpec != nil && !*v.MatchesSpec {
				// The official SDK signed a double-encoded value here (a bug the
				// vector documents); the spec's signature is the one to match.
				require.NotEmpty(t, v.SpecSignature)
				want, toSign = v.SpecSignature, v.SpecStringToSign
				query = strings.Split(toSign, "\n")[3]
				// And the Go SDK's own output is reproduced from what it signed.
				goQuery := strings.Split(v.WhatGoActuallySigned, "\n")[3]
				assert.Equal(t, v.ExpectedSignature, sign.V2(v.SecretKey, v.Method, v.PublishKey, v.Path, goQuery, []byte(v.Body)))
			}
			require.Equal(t, v.Method+"\n"+v.PublishKey+"\n"+v.Path+"\n"+query+"\n"+v.Body, toSign, "vector's string to sign")
			assert.Equal(t, want, sign.V2(v.SecretKey, v.Method, v.PublishKey, v.Path, query, []byte(v.Body)))

			if v.QueryParamsDecoded != nil {
				// The canonical query is rebuilt from the decoded values.
				var params []sign.Param
				for k, val := range v.QueryParamsDecoded {
					params = append(params, sign.Param{Key: k, Value: val})
				}
				sign.SortParams(params)
				assert.Equal(t, query, string(sign.AppendQuery(nil, params)))
			}
		})
	}
}

// TestPercentEncodingTable checks every row of the encoding table.
func TestPercentEncodingTable(t *testing.T) {
	t.Parallel()
	f := loadSigFile(t)
	for _, row := range f.Table.Rows {
		assert.Equal(t, row.Spec, sign.Encode(row.Input), "input %q", row.Input)
		assert.Equal(t, row.GoPam, sign.Encode(row.Input), "input %q (Go PamEncode)", row.Input)
	}
}

func TestSignedQuery(t *testing.T) {
	t.Parallel()
	c, err := New(testKeys, WithUserID("user id+~*/é"))
	require.NoError(t, err)
	q := c.signedQuery("POST", "/v3/pam/mySubKey/grant", []byte(`{}`), 1795413158)
	parts := strings.Split(q, "&")
	require.Len(t, parts, 5)
	assert.True(t, strings.HasPrefix(parts[0], "pnsdk=PubNub-Go-pam%2F"))
	assert.True(t, strings.HasPrefix(parts[1], "requestid="))
	assert.Equal(t, "timestamp=1795413158", parts[2])
	assert.Equal(t, "uuid=user%20id%2B%7E%2A%2F%C3%A9", parts[3])
	canonical := strings.Join(parts[:4], "&")
	assert.Equal(t, "signature="+sign.V2(testKeys.Secret, "POST", testKeys.Publish, "/v3/pam/mySubKey/grant", canonical, []byte(`{}`)), parts[4])
}

func BenchmarkSign(b *testing.B) {
	body := []byte(`{"ttl":60,"permissions":{"resources":{"channels":{"channel-1":1},"groups":{},"uuids":{},"users":{},"spaces":{}},"patterns":{"channels":{},"groups":{},"uuids":{},"users":{},"spaces":{}},"meta":{}}}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = sign.V2("mySecretKey", "POST", "myPubKey", "/v3/pam/mySubKey/grant", "pnsdk=PubNub-Go%2F7.4.0&timestamp=1795413158&uuid=myUserId", body)
	}
}

// TestRequestID: every request id is a fresh random (version 4, RFC 4122
// variant) UUID in its canonical form.
func TestRequestID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		id := string(appendRequestID(nil))
		u, err := uuid.Parse(id)
		require.NoError(t, err)
		assert.Equal(t, u.String(), id)
		assert.Equal(t, uuid.Version(4), u.Version())
		assert.Equal(t, uuid.RFC4122, u.Variant())
		assert.False(t, seen[id], "repeated %s", id)
		seen[id] = true
	}
}
