package resources

import (
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of the moves VPC endpoints carry.
const (
	// TechEndpointRoute: a workload whose subnet routes to a gateway
	// endpoint (or whose groups an interface endpoint admits on 443) sends
	// requests through it.
	TechEndpointRoute = "aws.ec2.vpc-endpoint-route"
	// TechS3EndpointAccess: a bucket policy grants everyone access through a
	// VPC endpoint (aws:SourceVpce / aws:SourceVpc) and the endpoint's own
	// policy lets the request through: no credentials are needed.
	TechS3EndpointAccess = "aws.s3.vpc-endpoint-access"
)

// vpcSourceKeys are the condition keys only a request through a VPC
// endpoint carries; a request from the Internet never has them.
var vpcSourceKeys = []string{"aws:SourceVpce", "aws:SourceVpc", "aws:SourceVpcArn", "aws:VpcSourceIp"}

// endpointAccess adds, for every S3 endpoint, the workloads that send
// through it and the buckets whose policies let anyone in through it; and,
// for every available endpoint of any service, the routes the identity part
// decides signed requests with (EndpointRoutes).
func (b *builder) endpointAccess() {
	roles := b.workloadRoles()
	for _, x := range b.regions {
		for i := range x.d.VPCEndpoints {
			ep := &x.d.VPCEndpoints[i]
			if ep.State != "" && !strings.EqualFold(ep.State, "available") {
				continue
			}
			users := b.endpointUsers(x, ep)
			b.endpointRoutes(x, ep, users, roles)
			if endpointService(x.name, ep.ServiceName) != "s3" || !b.endpointBuckets(x, ep) {
				continue
			}
			id := b.ec2ARN(x.name, "vpc-endpoint", ep.ID)
			for _, u := range users {
				b.edge(graph.Edge{From: u.m.id, To: id, Kind: graph.EdgeReaches, Technique: TechEndpointRoute,
					Evidence: []string{u.evidence}, Props: graph.Props{"ports": []string{"443/tcp"}}})
			}
		}
	}
}

// endpointUser is a network member that sends through an endpoint, and why.
type endpointUser struct {
	m        *member
	evidence string
}

// endpointUsers lists the members that send through the endpoint: a
// gateway endpoint serves the subnets whose route tables list it; an
// interface endpoint serves members of its VPC its security groups admit on
// 443 (and whose own egress lets them send there).
func (b *builder) endpointUsers(x *regionIndex, ep *inventory.VPCEndpoint) []endpointUser {
	https := singleTCP(443)
	var out []endpointUser
	for i := range b.members {
		m := &b.members[i]
		if m.region != x || m.vpc != ep.VPCID || m.forwardOnly {
			continue
		}
		if strings.EqualFold(ep.Type, "Interface") {
			admitted := https
			if len(ep.SecurityGroupIDs) > 0 {
				admitted = b.sgAdmits(x, ep.SecurityGroupIDs, m.sgs, m.blocks, false, https)
			}
			if admitted.empty() || b.egressPorts(x, m, &member{sgs: ep.SecurityGroupIDs}, https).empty() {
				continue
			}
			out = append(out, endpointUser{m, fmt.Sprintf("interface endpoint %s's security groups admit %s on 443/tcp", ep.ID, m.id)})
			continue
		}
		for _, s := range m.subnets {
			rt := x.routeTable(s)
			if rt == nil || !containsString(ep.RouteTableIDs, rt.ID) {
				continue
			}
			out = append(out, endpointUser{m, fmt.Sprintf("subnet %s uses route table %s, which routes %s to gateway endpoint %s",
				s, rt.ID, endpointService(x.name, ep.ServiceName), ep.ID)})
			break
		}
	}
	return out
}

// endpointBuckets adds endpoint -> bucket moves for the buckets of the
// endpoint's region whose policy allows anonymous access when the request
// comes through this endpoint (or VPC), and whose actions the endpoint's
// policy allows. It reports whether any bucket was reached.
func (b *builder) endpointBuckets(x *regionIndex, ep *inventory.VPCEndpoint) bool {
	var epPol *policy.Policy
	if ep.Policy != "" {
		p, err := policy.Parse([]byte(ep.Policy))
		if err != nil {
			b.log.Debug("endpoint policy does not parse; access through it unknown", "endpoint", ep.ID, "err", err)
			return false
		}
		epPol = p
	}
	ctx := map[string][]string{"aws:SourceVpce": {ep.ID}, "aws:SourceVpc": {ep.VPCID}}
	any := false
	for i := range b.inv.S3 {
		bk := &b.inv.S3[i]
		if bk.Policy == "" || bk.Region != x.name {
			continue
		}
		pol, err := policy.Parse([]byte(bk.Policy))
		if err != nil {
			continue
		}
		id := orARN(bk.ARN, b.bucketARN(bk.Name))
		for _, check := range []struct {
			kind      graph.EdgeKind
			action    string
			resources []string
		}{
			{graph.EdgeReads, "s3:GetObject", policy.ObjectTargets(id, pol)},
			{graph.EdgeReads, "s3:ListBucket", []string{id}},
			{graph.EdgeWrites, "s3:PutObject", policy.ObjectTargets(id, pol)},
		} {
			res, resource := anonymousDecisionIn(b.account, pol, check.action, check.resources, ctx, nil)
			if res.Decision != policy.Allowed && res.Decision != policy.Conditional {
				continue
			}
			if !vpcGated(b.account, pol, check.action, resource) {
				continue // public from anywhere: the internet edge already says so
			}
			ev := []string{fmt.Sprintf("bucket policy allows anonymous %s on %s through %s (aws:SourceVpce/aws:SourceVpc)", check.action, resource, ep.ID)}
			if epPol != nil {
				er := policy.Evaluate(policy.Request{Principal: policy.Principal{Type: policy.TypeAnonymous}, Action: check.action,
					Resource: resource, ResourceAccount: b.account, Context: ctx}, policy.PolicySet{Resource: epPol})
				if er.Decision != policy.Allowed && er.Decision != policy.Conditional {
					continue
				}
				ev = append(ev, fmt.Sprintf("endpoint policy of %s allows %s on %s", ep.ID, check.action, resource))
			} else {
				ev = append(ev, fmt.Sprintf("endpoint %s has the default full-access policy", ep.ID))
			}
			e := b.edge(graph.Edge{From: b.ec2ARN(x.name, "vpc-endpoint", ep.ID), To: id, Kind: check.kind, Technique: TechS3EndpointAccess,
				Evidence: ev, Conditional: res.Decision == policy.Conditional})
			if res.Decision == policy.Allowed {
				e.Conditional = false
			}
			any = true
		}
	}
	return any
}

// vpcGated reports whether the grant depends on the VPC source keys: the
// same request from the Internet (the keys absent) is not allowed.
func vpcGated(account string, pol *policy.Policy, action, resource string) bool {
	res, _ := anonymousDecisionIn(account, pol, action, []string{resource}, nil, vpcSourceKeys)
	return res.Decision != policy.Allowed && res.Decision != policy.Conditional
}
