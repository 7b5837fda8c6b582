package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestParameterReadsAreDataAccess: an SSM parameter is data of its own (CloudGoat glue_privesc's
// flag is a String parameter), read with ssm:GetParameter(s) on its ARN, whether or not a
// credential was found in its value.
func TestParameterReadsAreDataAccess(t *testing.T) {
	param := "arn:aws:ssm:us-east-1:" + acct + ":parameter/flag"
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"GetParameter on the parameter", doc(allow(param, "ssm:GetParameter")), true},
		{"ssm:* on everything", doc(allow("*", "ssm:*")), true},
		{"GetParameter on another parameter", doc(allow("arn:aws:ssm:us-east-1:"+acct+":parameter/other", "ssm:GetParameter")), false},
		{"only DescribeParameters", doc(allow("*", "ssm:DescribeParameters")), false},
		{"allowed but denied on the parameter", doc(allow("*", "ssm:*"), deny(param, "ssm:GetParameter*")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.Region("us-east-1").SSMParameters = []inventory.SSMParameter{{Name: "flag", ARN: param, Type: "String"}}
			u := addUser(inv, "reader", tt.policy)
			part := build(t, inv)
			if got := findEdge(part, u.ARN, graph.EdgeReads, param, "aws.ssm.read-parameter") != nil; got != tt.want {
				t.Fatalf("read edge present=%v, want %v\n%s", got, tt.want, dumpEdges(part, u.ARN))
			}
		})
	}
}
