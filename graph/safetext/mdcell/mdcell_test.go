package mdcell

import (
	"strings"
	"testing"
)

func TestTextOpensNoMarkdownOrHTML(t *testing.T) {
	cases := []struct{ in, want string }{
		{"arn:aws:iam::1:role/app-role", "arn:aws:iam::1:role/app-role"},
		{"x`\n\n<img src=x onerror=alert(1)>", `x\` + "`" + `\\n\\n&lt;img src=x onerror=alert(1)&gt;`},
		{"a | b", `a \| b`},
		{"[click](javascript:alert(1))", `\[click\](javascript:alert(1))`},
		{"**bold** _em_ ~~s~~ $x$", `\*\*bold\*\* \_em\_ \~\~s\~\~ \$x\$`},
		{"r\u202eevil", `r\\u202eevil`},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.ContainsAny(Text(c.in), "\n<>") {
			t.Errorf("Text(%q) keeps a newline or an angle bracket", c.in)
		}
	}
}
