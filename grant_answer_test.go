package pam

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answerCases are grant answers for scanGrantAnswer: want is the token it
// returns, or "" when it must leave the answer to encoding/json.
var answerCases = []struct {
	name, body, want string
}{
	{"service", `{"data":{"message":"Success","token":"qEF2AkF0"},"service":"Access Manager","status":200}`, "qEF2AkF0"},
	{"token first", `{"data":{"token":"abc-_=","message":"Success"},"status":200}`, "abc-_="},
	{"white space", " \t\r\n{ \"status\" : 200 , \"data\" : { \"token\" : \"t\" } } \n", "t"},
	{"other values", `{"a":[1,-2.5e+3,0,0.1,1E9,true,false,null,{},[],{"x":[{"y":"z"}]}],"data":{"m":{"n":"o"},"token":"t"},"b":"é"}`, "t"},
	{"non-ASCII value bytes", "{\"x\":\"\xff\xfe\",\"data\":{\"token\":\"t\"}}", "t"},
	{"top-level token ignored", `{"token":"x","data":{"token":"t"}}`, "t"},

	// Left to encoding/json.
	{"escaped token", `{"data":{"token":"a\/b"}}`, ""},
	{"escape elsewhere", `{"data":{"token":"t","message":"\"hi\""}}`, ""},
	{"folded data key", `{"Data":{"token":"t"}}`, ""},
	{"folded token key", `{"data":{"TOKEN":"t"}}`, ""},
	{"kelvin sign", "{\"data\":{\"to\u212aen\":\"t\"}}", ""},
	{"non-ASCII key", "{\"d\u00e4ta\":1,\"data\":{\"token\":\"t\"}}", ""},
	{"repeated data", `{"data":{"token":"t"},"data":{"token":"u"}}`, ""},
	{"repeated token", `{"data":{"token":"t","token":"u"}}`, ""},
	{"data null", `{"data":null}`, ""},
	{"data array", `{"data":["token","t"]}`, ""},
	{"no data", `{"status":200}`, ""},
	{"no token", `{"data":{"message":"Success"}}`, ""},
	{"empty token", `{"data":{"token":""}}`, ""},
	{"number token", `{"data":{"token":12}}`, ""},
	{"non-ASCII token", "{\"data\":{\"token\":\"t\u00e9\"}}", ""},
	{"control character", "{\"data\":{\"token\":\"t\x01\"}}", ""},
	{"trailing data", `{"data":{"token":"t"}} x`, ""},
	{"two documents", `{"data":{"token":"t"}}{}`, ""},
	{"truncated", `{"data":{"token":"t"}`, ""},
	{"trailing comma", `{"data":{"token":"t"},}`, ""},
	{"leading zero", `{"n":01,"data":{"token":"t"}}`, ""},
	{"bare minus", `{"n":-,"data":{"token":"t"}}`, ""},
	{"bad literal", `{"n":nul,"data":{"token":"t"}}`, ""},
	{"too deep", `{"n":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]],"data":{"token":"t"}}`, ""},
	{"array", `[{"data":{"token":"t"}}]`, ""},
	{"empty", ``, ""},
	{"html", `<html>502 Bad Gateway</html>`, ""},
}

func TestScanGrantAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range answerCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := scanGrantAnswer([]byte(tc.body))
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want != "", ok)
			if ok {
				var resp grantResponse
				require.NoError(t, json.Unmarshal([]byte(tc.body), &resp))
				assert.Equal(t, resp.Data.Token, got)
			}
		})
	}
}

// FuzzScanGrantAnswer checks that whenever scanGrantAnswer reads a token,
// encoding/json reads the same one from the same bytes without error.
func FuzzScanGrantAnswer(f *testing.F) {
	for _, tc := range answerCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := scanGrantAnswer(b)
		if !ok {
			if got != "" {
				t.Fatalf("not ok but returned %q", got)
			}
			return
		}
		var resp grantResponse
		if err := json.Unmarshal(b, &resp); err != nil {
			t.Fatalf("scanner read %q, encoding/json failed: %v", got, err)
		}
		if resp.Data.Token != got {
			t.Fatalf("scanner read %q, encoding/json %q", got, resp.Data.Token)
		}
	})
}
