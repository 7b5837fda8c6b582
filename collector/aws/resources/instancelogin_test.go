package resources

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/secrets"
)

// TestPasswordInUserDataLogsInOverExposedSSH: a local account's password set in an instance's own
// user data opens the instance to whoever holds it, when the Internet reaches its SSH port
// (CloudGoat data_secrets); conditional, since sshd's password setting is not collected.
func TestPasswordInUserDataLogsInOverExposedSSH(t *testing.T) {
	loc := "user-data:line 2"
	tests := []struct {
		name  string
		kind  string
		ports []int32 // the web group's open TCP ports
		want  bool
	}{
		{"login password, SSH open to the Internet", string(secrets.KindLoginPassword), []int32{22, 443}, true},
		{"login password, only HTTPS open", string(secrets.KindLoginPassword), []int32{443}, false},
		{"database password, SSH open", string(secrets.KindPassword), []int32{22}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := fixture()
			r := inv.Region(region)
			r.SecurityGroups[0].Ingress = nil
			for _, p := range tt.ports {
				r.SecurityGroups[0].Ingress = append(r.SecurityGroups[0].Ingress, inventory.SGRule{Protocol: "tcp", FromPort: p, ToPort: p, CIDRs: []string{"0.0.0.0/0"}})
			}
			r.Instances[0].Credentials = []inventory.ConfigCredential{{Location: loc, Kind: tt.kind, Key: "ec2-user", Fingerprint: "hmac-sha256:00"}}
			p := build(t, inv, Options{})
			cred := inventory.CredentialNodeID(webID, loc)
			e := findEdge(p, cred, string(graph.EdgeAdministers), webID)
			if (e != nil) != tt.want {
				t.Fatalf("login edge present=%v, want %v", e != nil, tt.want)
			}
			if e != nil && (!e.Conditional || e.Technique != TechCredentialInstanceLogin || len(e.Findings) < 2) {
				t.Errorf("login edge must be conditional, named %s and cite the credential and exposure findings: %+v", TechCredentialInstanceLogin, e)
			}
		})
	}
}
