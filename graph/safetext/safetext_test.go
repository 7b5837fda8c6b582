package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisibleShowsEveryActingCharacter(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain-name_01", "plain-name_01"},
		{"\x1b]0;pwned\x07\x1b[2J", `\x1b]0;pwned\x07\x1b[2J`},
		{"a\nFAKE ROW: admin", `a\nFAKE ROW: admin`},
		{"tab\there\r", `tab\there\r`},
		{"r-rtl-evil\u202egpj.exe", `r-rtl-evil\u202egpj.exe`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"c1\u009bcsi", `c1\x9bcsi`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"line\u2028sep", `line\u2028sep`},
		{"日本語 ok", "日本語 ok"},
		{"", ""},
	}
	for _, c := range cases {
		if got := Visible(c.in); got != c.want {
			t.Errorf("Visible(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTruncateKeepsStartAndEndWithinTheLimit(t *testing.T) {
	long := "arn:aws:iam::123456789012:role/" + strings.Repeat("x", 3<<20) + "/the-end"
	got := Truncate(long, 48)
	if utf8.RuneCountInString(got) != 48 || !strings.HasPrefix(got, "arn:aws:iam::") || !strings.HasSuffix(got, "the-end") || !strings.Contains(got, Ellipsis) {
		t.Errorf("Truncate = %q (%d runes)", got, utf8.RuneCountInString(got))
	}
	if got := Truncate("short", 48); got != "short" {
		t.Errorf("Truncate(short) = %q", got)
	}
	if got := Truncate("日本語日本語日本語", 5); utf8.RuneCountInString(got) != 5 || !utf8.ValidString(got) {
		t.Errorf("Truncate cut inside a rune: %q", got)
	}
}

func FuzzVisible(f *testing.F) {
	f.Add("\x1b]0;x\x07\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		v := Visible(s)
		if !utf8.ValidString(v) {
			t.Fatalf("Visible(%q) is not valid UTF-8: %q", s, v)
		}
		for _, r := range v {
			if Acts(r) {
				t.Fatalf("Visible(%q) = %q still holds %U", s, v, r)
			}
		}
		if tr := Truncate(v, 20); utf8.RuneCountInString(tr) > 20 {
			t.Fatalf("Truncate gave %d runes", utf8.RuneCountInString(tr))
		}
	})
}
