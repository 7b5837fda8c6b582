package graph

import (
	"context"
	"strings"
	"testing"
)

func TestCheckSyncRedactsSecretValuesAndKeepsTheRest(t *testing.T) {
	pass := "hunter2" + "hunter2"
	key := "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDx1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnHjWH4\n-----END OPENSSH " + "PRIVATE KEY-----"
	tags := map[string]string{"DB_PASS": pass, "owner": "team-a"}
	s := &Snapshot{Scope: Scope{Cloud: CloudAWS, ID: "1"}, Nodes: []Node{
		{ID: "a", Kind: KindCompute, Cloud: CloudAWS, Name: "a", Tags: tags,
			Props: Props{"ssh_key": key, "notes": "deploy key:\n" + key, "passphrase": "open sesame", "engine": "postgres", "list": []string{"ok", "conn_str=Server=h;Password=" + pass}}},
	}}
	if err := CheckSync(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	n := s.Nodes[0]
	all := n.Name + " " + strings.Join([]string{n.Tags["DB_PASS"], n.Tags["owner"]}, " ")
	for k, v := range n.Props {
		switch x := v.(type) {
		case string:
			all += " " + k + "=" + x
		case []string:
			all += " " + k + "=" + strings.Join(x, ",")
		}
	}
	for _, secret := range []string{pass, "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "open sesame"} {
		if strings.Contains(all, secret) {
			t.Errorf("snapshot still holds %q: %s", secret, all)
		}
	}
	for _, kept := range []string{"team-a", "engine=postgres", "deploy key:", "[redacted:password]", "[redacted:secret-key]", "[redacted:private-key]"} {
		if !strings.Contains(all, kept) {
			t.Errorf("snapshot lost %q: %s", kept, all)
		}
	}
	if tags["DB_PASS"] != pass {
		t.Error("redaction changed the caller's tag map in place; it replaces maps it changes")
	}
	if again := s.RedactSecrets(); again != 0 {
		t.Errorf("a second redaction changed %d values, want 0", again)
	}
}
