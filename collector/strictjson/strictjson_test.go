package strictjson

import (
	"strings"
	"testing"
)

func TestCheckFindsDuplicateKeys(t *testing.T) {
	cases := []struct {
		name, doc string
		fold      bool
		dup       bool
	}{
		{"grant by a second Effect", `{"Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}`, false, true},
		{"escaped key", `{"Effect":"Deny","\u0045ffect":"Allow"}`, false, true},
		{"case only, folded", `{"UserName":"a","username":"b"}`, true, true},
		{"case only, exact", `{"Owner":"a","owner":"b"}`, false, false},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`, false, false},
		{"same key at two depths", `{"a":{"a":{"a":1}}}`, false, false},
		{"key inside a string value", `{"a":"\"a\":1","b":"{\"a\":2}"}`, false, false},
		{"nested duplicate", `{"x":[1,{"k":1,"k":2}]}`, false, true},
		{"no objects", `["a","a"]`, false, false},
	}
	for _, tc := range cases {
		err := Check([]byte(tc.doc), tc.fold)
		if (err != nil) != tc.dup {
			t.Errorf("%s: Check(%s) = %v, want duplicate %v", tc.name, tc.doc, err, tc.dup)
		}
	}
}

func TestCheckerStreamsInPieces(t *testing.T) {
	doc := `{"nodes":[{"id":"a","tags":{"k":"1","k":"2"}}]}`
	c := NewChecker(false)
	for i := 0; i < len(doc); i += 3 {
		_, _ = c.Write([]byte(doc[i:min(i+3, len(doc))]))
	}
	if c.Err() == nil || !strings.Contains(c.Err().Error(), `"k"`) {
		t.Fatalf("streamed duplicate not found: %v", c.Err())
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"a":[1,2,{"a":"}"}]}}`), false)
	f.Add([]byte(`{"a":1,"a":2}`), true)
	f.Fuzz(func(t *testing.T, data []byte, fold bool) {
		_ = Check(data, fold) // never panics on any input
	})
}
