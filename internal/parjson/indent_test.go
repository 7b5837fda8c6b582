package parjson

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomValue builds a JSON-encodable value of nested objects, arrays
// (empty ones too) and strings full of what must be escaped or skipped over:
// quotes, backslashes, escaped HTML, control characters, brackets and
// punctuation inside strings, non-ASCII text.
func randomValue(r *rand.Rand, depth int) any {
	pieces := []string{`"`, `\`, `\"`, `\\`, "<a&b>", "\n\t\x01", "{", "}", "[", "]", ",", ":", "é✓", "\u2028", "plain", " "}
	str := func() string {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	k := r.IntN(8)
	if depth > 4 {
		k = 4 + r.IntN(4)
	}
	switch k {
	case 0, 1:
		m := map[string]any{}
		for range r.IntN(4) {
			m[str()] = randomValue(r, depth+1)
		}
		return m
	case 2, 3:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randomValue(r, depth+1)
		}
		return a
	case 4:
		return str()
	case 5:
		return r.NormFloat64() * 1e6
	case 6:
		return r.IntN(2) == 0
	}
	return nil
}

func TestAppendIndentIsJSONIndentOfMarshalledValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		v := randomValue(r, 0)
		src, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, pi := range [][2]string{{"", "  "}, {"    ", "  "}, {"> ", "\t"}} {
			var want bytes.Buffer
			if err := json.Indent(&want, src, pi[0], pi[1]); err != nil {
				t.Fatal(err)
			}
			if got := appendIndent([]byte("kept:"), src, pi[0], pi[1]); !bytes.Equal(got, append([]byte("kept:"), want.Bytes()...)) {
				t.Fatalf("appendIndent(%s, %q, %q):\n got %s\nwant %s", src, pi[0], pi[1], got, want.Bytes())
			}
		}
	}
}
