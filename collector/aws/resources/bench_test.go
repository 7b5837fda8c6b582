package resources

import (
	"context"
	"fmt"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// largeEstate scales the fixture: n instances spread over 50 security
// groups, each group admitting the next one and a /16 on two ports.
func largeEstate(n int) *inventory.Inventory {
	inv := fixture()
	r := inv.Regional[region]
	for g := range 50 {
		r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: fmt.Sprintf("sg-%d", g), Name: "g", VPCID: "vpc-1",
			Ingress: []inventory.SGRule{
				{Protocol: "tcp", FromPort: 8080, ToPort: 8080, GroupRefs: []inventory.SGRef{{GroupID: fmt.Sprintf("sg-%d", (g+1)%50)}}},
				{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"10.0.0.0/16"}},
			},
			Egress: []inventory.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}})
	}
	for i := range n {
		r.Instances = append(r.Instances, inventory.Instance{ID: fmt.Sprintf("i-%d", i), State: "running",
			PrivateIP: fmt.Sprintf("10.0.%d.%d", 1+i/250, 1+i%250), PublicIP: fmt.Sprintf("54.%d.%d.%d", i/65536, (i/256)%256, i%256),
			SubnetID: "subnet-pub", VPCID: "vpc-1", SecurityGroupIDs: []string{fmt.Sprintf("sg-%d", i%50), "sg-web"}})
	}
	return inv
}

func BenchmarkBuild5000Instances(b *testing.B) {
	inv := largeEstate(5000)
	for b.Loop() {
		p, err := Build(context.Background(), inv, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(p.Edges)), "edges")
	}
}

func BenchmarkBuild1000Instances(b *testing.B) {
	inv := largeEstate(1000)
	for b.Loop() {
		if _, err := Build(context.Background(), inv, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
