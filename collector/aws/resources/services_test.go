package resources

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func TestInternetExposureNamesWhatAnswers(t *testing.T) {
	tests := []struct {
		name       string
		port       int32
		tags       inventory.Tags
		lbTarget   bool
		want       string // substring of the port's description
		wantLikely float64
	}{
		{"well-known SSH port", 22, nil, false, "22/tcp: SSH (well-known port)", 0},
		{"service announced by a tag", 8080, inventory.Tags{"Name": "ci", "app": "Jenkins"}, false, "8080/tcp: jenkins", 0},
		{"port a load balancer forwards to", 8080, nil, true, "8080/tcp: served: load balancer target group", 0},
		{"open port nothing explains", 9999, nil, false, "9999/tcp: open port, service unknown", unknownServiceLikelihood},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			r := inv.Regional[region]
			r.SecurityGroups[0].Ingress = []inventory.SGRule{{Protocol: "tcp", FromPort: tc.port, ToPort: tc.port, CIDRs: []string{"0.0.0.0/0"}}}
			if tc.tags != nil {
				r.Instances[0].Tags = tc.tags
			}
			if tc.lbTarget {
				r.TargetGroups = []inventory.TargetGroup{{ARN: "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":targetgroup/ci/1", Name: "ci",
					TargetType: "instance", Port: tc.port, Targets: []inventory.Target{{ID: "i-web"}}}}
			}
			p := build(t, inv, Options{})
			e := findEdge(p, "internet", "EXPOSED_TO", webID)
			if e == nil {
				t.Fatal("instance not exposed")
			}
			services, _ := e.Props["services"].([]string)
			if !slices.ContainsFunc(services, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("services = %v, want one containing %q", services, tc.want)
			}
			if e.Likelihood != tc.wantLikely {
				t.Errorf("likelihood = %v, want %v", e.Likelihood, tc.wantLikely)
			}
			if !slices.ContainsFunc(e.Evidence, func(s string) bool { return strings.HasPrefix(s, "what answers: ") }) {
				t.Errorf("evidence does not say what answers: %v", e.Evidence)
			}
		})
	}
}
