package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbctypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

type seededELB struct {
	vpc, subnet, subnet2, sg, instance, albARN string
}

// seedClassicELB creates, through the real SDK against moto, a VPC with an
// instance behind an internet-facing classic ELB, and an ALB beside it.
func seedClassicELB(t *testing.T, ctx context.Context, endpoint string) seededELB {
	t.Helper()
	cfg := testConfig("AKIAIOSFODNN7EXAMPLE")
	cfg.BaseEndpoint = aws.String(endpoint)
	ec := ec2.NewFromConfig(cfg)
	var out seededELB
	vpc := must[*ec2.CreateVpcOutput](t, "vpc")(ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")}))
	out.vpc = aws.ToString(vpc.Vpc.VpcId)
	sn := must[*ec2.CreateSubnetOutput](t, "subnet")(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.20.1.0/24"), AvailabilityZone: aws.String("us-east-1a")}))
	out.subnet = aws.ToString(sn.Subnet.SubnetId)
	sn2 := must[*ec2.CreateSubnetOutput](t, "subnet 2")(ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.20.2.0/24"), AvailabilityZone: aws.String("us-east-1b")}))
	out.subnet2 = aws.ToString(sn2.Subnet.SubnetId)
	sg := must[*ec2.CreateSecurityGroupOutput](t, "sg")(ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("clb"), Description: aws.String("clb"), VpcId: vpc.Vpc.VpcId}))
	out.sg = aws.ToString(sg.GroupId)
	run := must[*ec2.RunInstancesOutput](t, "instance")(ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: sn.Subnet.SubnetId}))
	out.instance = aws.ToString(run.Instances[0].InstanceId)

	c := elb.NewFromConfig(cfg)
	must[*elb.CreateLoadBalancerOutput](t, "classic elb")(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		LoadBalancerName: aws.String("legacy-web"), Scheme: aws.String("internet-facing"),
		Subnets: []string{out.subnet}, SecurityGroups: []string{out.sg},
		Listeners: []elbctypes.Listener{
			{Protocol: aws.String("HTTP"), LoadBalancerPort: 80, InstanceProtocol: aws.String("HTTP"), InstancePort: aws.Int32(8080)},
			{Protocol: aws.String("TCP"), LoadBalancerPort: 2222, InstanceProtocol: aws.String("TCP"), InstancePort: aws.Int32(22)},
		},
		Tags: []elbctypes.Tag{{Key: aws.String("owner"), Value: aws.String("web-team")}},
	}))
	must[*elb.RegisterInstancesWithLoadBalancerOutput](t, "register")(c.RegisterInstancesWithLoadBalancer(ctx, &elb.RegisterInstancesWithLoadBalancerInput{
		LoadBalancerName: aws.String("legacy-web"), Instances: []elbctypes.Instance{{InstanceId: aws.String(out.instance)}}}))
	must[*elb.ModifyLoadBalancerAttributesOutput](t, "attributes")(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerName: aws.String("legacy-web"), LoadBalancerAttributes: &elbctypes.LoadBalancerAttributes{
			CrossZoneLoadBalancing: &elbctypes.CrossZoneLoadBalancing{Enabled: true},
			ConnectionDraining:     &elbctypes.ConnectionDraining{Enabled: true, Timeout: aws.Int32(60)},
			ConnectionSettings:     &elbctypes.ConnectionSettings{IdleTimeout: aws.Int32(120)},
		}}))
	must[*elb.CreateLoadBalancerOutput](t, "internal classic elb")(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		LoadBalancerName: aws.String("legacy-internal"), Scheme: aws.String("internal"), Subnets: []string{out.subnet}, SecurityGroups: []string{out.sg},
		Listeners: []elbctypes.Listener{{Protocol: aws.String("TCP"), LoadBalancerPort: 5432, InstancePort: aws.Int32(5432)}},
	}))

	alb := must[*elbv2.CreateLoadBalancerOutput](t, "alb")(elbv2.NewFromConfig(cfg).CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String("modern-web"), Subnets: []string{out.subnet, out.subnet2}, SecurityGroups: []string{out.sg}}))
	out.albARN = aws.ToString(alb.LoadBalancers[0].LoadBalancerArn)
	return out
}

func TestCollectReadsClassicLoadBalancersBesideELBv2FromMoto(t *testing.T) {
	ep := motoEndpoint(t)
	seed := seedClassicELB(t, testContext(t), ep)
	inv := collectMoto(t, ep, Options{Services: []string{ServiceELB}})
	if len(inv.Coverage.Failed) > 0 || !inventoryRead(inv, ServiceELB, "us-east-1") {
		t.Fatalf("coverage = %+v, want elb/us-east-1 read", inv.Coverage)
	}
	byName := map[string]inventory.LoadBalancer{}
	for _, lb := range inv.Regional["us-east-1"].LoadBalancers {
		byName[lb.Name] = lb
	}
	web, internal, alb := byName["legacy-web"], byName["legacy-internal"], byName["modern-web"]
	listener := func(lb inventory.LoadBalancer, proto string, port, instPort int32, instProto string) bool {
		return slices.ContainsFunc(lb.Listeners, func(l inventory.Listener) bool {
			return l.Protocol == proto && l.Port == port && l.InstancePort == instPort && l.InstanceProtocol == instProto
		})
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"classic type", web.Type == "classic"},
		{"synthesized arn", web.ARN == "arn:aws:elasticloadbalancing:us-east-1:"+seedAccount+":loadbalancer/legacy-web"},
		{"scheme", web.Scheme == "internet-facing" && internal.Scheme == "internal"},
		{"vpc", web.VPCID == seed.vpc},
		{"subnets", slices.Equal(web.SubnetIDs, []string{seed.subnet})},
		{"security groups", slices.Equal(web.SecurityGroupIDs, []string{seed.sg})},
		{"http listener to instance port", listener(web, "HTTP", 80, 8080, "HTTP")},
		{"tcp listener to instance port", listener(web, "TCP", 2222, 22, "TCP")},
		{"registered instance", slices.Equal(web.InstanceIDs, []string{seed.instance})},
		{"no instances on the internal one", len(internal.InstanceIDs) == 0},
		{"tags", web.Tags["owner"] == "web-team"},
		{"attributes", web.Classic != nil && web.Classic.CrossZone && web.Classic.ConnectionDraining && web.Classic.IdleTimeoutSeconds == 120},
		{"no detail errors", len(web.Errors) == 0},
		{"elbv2 kept beside", alb.ARN == seed.albARN && alb.Type == "application" && alb.Classic == nil},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: classic %+v, internal %+v, alb %+v", c.name, web, internal, alb)
		}
	}
}

// TestCollectKeepsELBv2WhenClassicListingIsDenied: the classic and ELBv2
// listings share the elb area; one denied fails the area (unknown) but the
// other's load balancers are still collected.
func TestCollectKeepsELBv2WhenClassicListingIsDenied(t *testing.T) {
	ep := motoEndpoint(t)
	seed := seedClassicELB(t, testContext(t), ep)
	target, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		// Classic ELB is API version 2012-06-01, ELBv2 2015-12-01.
		if strings.Contains(string(body), "Action=DescribeLoadBalancers&") && strings.Contains(string(body), "Version=2012-06-01") {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: elasticloadbalancing:DescribeLoadBalancers</Message></Error><RequestId>fault</RequestId></ErrorResponse>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	inv := collectMoto(t, srv.URL, Options{Services: []string{ServiceELB}})
	f, ok := failedArea(inv, ServiceELB, "us-east-1")
	if !ok || !strings.Contains(f.Error, "DescribeLoadBalancers") || !strings.Contains(f.Error, "AccessDenied") {
		t.Errorf("elb failure = %+v (ok=%v), want classic DescribeLoadBalancers AccessDenied", f, ok)
	}
	if inventoryRead(inv, ServiceELB, "us-east-1") {
		t.Errorf("elb listed as read: %+v", inv.Coverage.Read)
	}
	lbs := inv.Regional["us-east-1"].LoadBalancers
	if len(lbs) != 1 || lbs[0].ARN != seed.albARN {
		t.Errorf("load balancers = %+v, want only the ALB", lbs)
	}
}
