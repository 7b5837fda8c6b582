package credscan

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// objects serves texts by name to InspectObjects, counting reads.
type objects struct {
	text  map[string]string
	reads []string
}

func (o *objects) read(_ context.Context, name string, limit int64) (string, bool, error) {
	o.reads = append(o.reads, name)
	t, ok := o.text[name]
	if !ok {
		return "", false, errors.New("404 not found\nbody")
	}
	return ReadText(strings.NewReader(t), name, limit)
}

func TestInspectObjectsKeepsToTheCapsAndKeepsNoValue(t *testing.T) {
	env := "DB_PASSWORD=Zq8vN3xw4Lp0Rt6Yb2\n"
	src := &objects{text: map[string]string{".env": env, "big.txt": strings.Repeat("a", 2048), "notes.md": "nothing here\n",
		"bin.txt": "a\x00b", "sized-zero.env": env}}
	listed := []Object{
		{Name: ".env", Size: int64(len(env))},
		{Name: "big.txt", Size: 2048},                        // over the object cap: not read
		{Name: "id_rsa", Size: 4096},                         // over the cap, but named like a key: credential-file
		{Name: "logo.png", Size: 10},                         // binary by name: not read
		{Name: "report", Size: 10, ContentType: "image/png"}, // binary by type
		{Name: "notes.md", Size: 13},
		{Name: "bin.txt", Size: 3}, // not text: dropped unscanned
		{Name: "missing.txt", Size: 5},
		{Name: "sized-zero.env"}, // a listing without a size: read within the caps
	}
	var s Scan
	s.InspectObjects(context.Background(), listed, src.read, Limits{MaxObjects: 100, MaxObjectBytes: 1024, MaxTotalBytes: 1 << 20}.WithDefaults(),
		NewBudget(1<<20), []byte("salt"))
	if strings.Join(src.reads, ",") != ".env,notes.md,bin.txt,missing.txt,sized-zero.env" {
		t.Errorf("read %v", src.reads)
	}
	if s.Scanned != 3 || len(s.Errors) != 1 || strings.Contains(s.Errors[0], "body") {
		t.Errorf("scanned %d, errors %q", s.Scanned, s.Errors)
	}
	var names []string
	for _, f := range s.Objects {
		names = append(names, f.Name+":"+f.Credentials[0].Kind)
	}
	if got := strings.Join(names, ","); got != ".env:password,id_rsa:credential-file,sized-zero.env:password" {
		t.Errorf("found %s", got)
	}
	if strings.Contains(strings.Join(names, ""), "Zq8vN3xw") {
		t.Fatal("a value was kept")
	}
	// The budget: nothing more is read once it is spent.
	src.reads = nil
	var s2 Scan
	s2.InspectObjects(context.Background(), listed, src.read, Limits{MaxObjectBytes: 1024}.WithDefaults(), NewBudget(int64(len(env))), nil)
	if strings.Join(src.reads, ",") != ".env" {
		t.Errorf("over the budget, read %v", src.reads)
	}
}

func TestHostsNamingMatchesTheKeyFileAndAddress(t *testing.T) {
	s := Scan{Objects: []Found{{Name: ".ssh/config.txt", SSHHosts: []SSHHost{
		{Patterns: []string{"40.85.170.40"}, HostName: "justin", User: "justin", IdentityFile: "/shared/files/.ssh/keys/justin.pem"},
		{Patterns: []string{"*"}, IdentityFile: "~/.ssh/justin.pem"},
	}}}}
	if got := s.HostsNaming("shared/files/.ssh/keys/justin.pem", []string{"40.85.170.40"}); len(got) != 1 || !strings.Contains(got[0], "names 40.85.170.40 (user justin)") {
		t.Errorf("got %q", got)
	}
	for _, tc := range []struct{ key, addr string }{{"keys/alice.pem", "40.85.170.40"}, {"keys/justin.pem", "10.0.0.9"}} {
		if got := s.HostsNaming(tc.key, []string{tc.addr}); got != nil {
			t.Errorf("%s at %s: %q", tc.key, tc.addr, got)
		}
	}
}
