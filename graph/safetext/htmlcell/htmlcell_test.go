package htmlcell

import (
	"strings"
	"testing"
	"time"
)

func TestIsolateEscapesAndIsolates(t *testing.T) {
	got := string(Isolate("r-rtl-evil\u202egpj.exe<script>"))
	want := `<bdi>r-rtl-evil\u202egpj.exe&lt;script&gt;</bdi>`
	if got != want {
		t.Errorf("Isolate = %q, want %q", got, want)
	}
}

type inner struct {
	Name string
	Tags map[string]string
	Any  any
}

type report struct {
	Title  string
	At     time.Time
	Items  []inner
	Ptr    *inner
	Policy string
	hidden string
}

func TestCopyShowsActingCharactersEverywhereAndLeavesTheOriginal(t *testing.T) {
	evil := "r-rtl-evil\u202egpj.exe\x1b[2J"
	r := &report{Title: evil, At: time.Unix(5, 0), Items: []inner{{Name: evil, Tags: map[string]string{evil: evil}, Any: evil}},
		Ptr: &inner{Name: evil}, Policy: "{\n  \"a\": \"\u202e\"\n}", hidden: evil}
	c := Copy(r)
	all := c.Title + c.Items[0].Name + c.Items[0].Any.(string) + c.Ptr.Name + c.Policy
	for k, v := range c.Items[0].Tags {
		all += k + v
	}
	if strings.ContainsAny(all, "\u202e\x1b") {
		t.Errorf("copy still holds acting characters: %q", all)
	}
	if !strings.Contains(c.Policy, "\n") {
		t.Error("copy lost the line feeds of a multi-line text")
	}
	if r.Title != evil || r.Items[0].Name != evil || r.Ptr.Name != evil || !c.At.Equal(r.At) || c.hidden != evil {
		t.Error("copy changed the original or dropped a field")
	}
}
