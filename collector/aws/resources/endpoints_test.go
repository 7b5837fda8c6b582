package resources

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// endpointFixture: the web subnet's route table lists an S3 gateway
// endpoint, and the payroll bucket lets anyone read through that endpoint.
func endpointFixture(endpointPolicy, bucketPolicy string) *inventory.Inventory {
	inv := fixture()
	r := inv.Regional[region]
	r.VPCEndpoints = []inventory.VPCEndpoint{{ID: "vpce-s3", VPCID: "vpc-1", ServiceName: "com.amazonaws." + region + ".s3", Type: "Gateway",
		State: "available", Policy: endpointPolicy, RouteTableIDs: []string{"rtb-pub"}}}
	r.RouteTables[1].Routes = append(r.RouteTables[1].Routes, inventory.Route{DestinationPrefixListID: "pl-63a5400a", GatewayID: "vpce-s3", State: "active"})
	inv.S3[0].Policy = bucketPolicy
	return inv
}

const vpceOnlyBucketPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::payroll/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-s3"}}}]}`

func TestGatewayEndpointCarriesVPCGatedBucketGrants(t *testing.T) {
	vpce := arnOf("vpc-endpoint", "vpce-s3")
	tests := []struct {
		name       string
		epPolicy   string
		bucketPol  string
		unroute    bool
		wantRead   bool
		wantPublic bool
	}{
		{"default endpoint policy passes the bucket's endpoint-only grant", "", vpceOnlyBucketPolicy, false, true, false},
		{"endpoint policy naming the bucket", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::payroll/*"}]}`,
			vpceOnlyBucketPolicy, false, true, false},
		{"endpoint policy restricted to another bucket", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::artifacts/*"}]}`,
			vpceOnlyBucketPolicy, false, false, false},
		{"grant gated on another endpoint", "", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::payroll/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-other"}}}]}`, false, false, false},
		{"grant gated on the VPC", "", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::payroll/*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}`, false, true, false},
		{"subnet whose route table does not list the endpoint", "", vpceOnlyBucketPolicy, true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := endpointFixture(tc.epPolicy, tc.bucketPol)
			inv.S3[0].PublicAccessBlock = nil
			inv.S3AccountPublicAccessBlock = nil
			if tc.unroute {
				inv.Regional[region].VPCEndpoints[0].RouteTableIDs = []string{"rtb-main"}
			}
			p := build(t, inv, Options{})
			read := findEdge(p, vpce, "READS", bucketARN)
			reach := findEdge(p, webID, "REACHES", vpce)
			got := read != nil && reach != nil
			if got != tc.wantRead {
				t.Fatalf("web -> endpoint = %+v, endpoint -> bucket = %+v; want route %v", reach, read, tc.wantRead)
			}
			if got && (read.Technique != TechS3EndpointAccess || reach.Technique != TechEndpointRoute) {
				t.Errorf("techniques %s / %s", reach.Technique, read.Technique)
			}
			if pub := findEdge(p, AnonymousID, "READS", bucketARN); (pub != nil) != tc.wantPublic {
				t.Errorf("Internet-anonymous read = %+v, want %v: aws:SourceVpce/SourceVpc never come from the Internet", pub, tc.wantPublic)
			}
		})
	}
}
