package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// EndpointRoute says that a workload's signed requests to one AWS service
// travel through a VPC endpoint, so they carry aws:SourceVpce,
// aws:SourceVpc, aws:SourceVpcArn and aws:VpcSourceIp. The resource part
// knows the network (route tables, security groups, private DNS); the
// identity part knows the policies: it decides, per data resource of the
// service, whether the workload's role can act there through the endpoint
// when it cannot from outside (a data perimeter keyed on those condition
// keys), and draws that access from the workload itself.
type EndpointRoute struct {
	// Workload is the node id of the instance, task definition or function.
	Workload string
	// Roles are the roles whose credentials the workload uses (the targets
	// of its USES_IDENTITY moves).
	Roles []string
	// Region is the endpoint's region; it serves only that region's
	// resources.
	Region string
	// Service is the service's signing prefix ("secretsmanager", "s3", "ecr").
	Service string
	// Endpoint is the endpoint's node id; EndpointID its vpce- id, VPC the
	// vpc- id of the VPC it is in and VPCArn that VPC's ARN.
	Endpoint, EndpointID, VPC, VPCArn string
	// SourceIPs are the workload's private addresses (aws:VpcSourceIp);
	// empty when only its subnets are known.
	SourceIPs []string
	// Policy is the endpoint policy; "" is AWS's default full-access policy.
	Policy string
	// Default: the workload's ordinary requests use the endpoint (a gateway
	// endpoint in its subnet's route table, or an interface endpoint with
	// private DNS). Otherwise only a request addressed to the endpoint's own
	// DNS name does, which an attacker on the workload may or may not send.
	Default bool
	// Evidence says why the workload's requests go through the endpoint.
	Evidence []string
	// Findings are the findings the route depends on (an endpoint whose
	// policy is the default full-access one).
	Findings []string
}

// RuleEndpointFullAccess: a VPC endpoint keeps AWS's default policy, so the
// endpoint lets any principal in the VPC reach any resource of the service
// (including other accounts'), and a data perimeter keyed on aws:SourceVpce
// is only as narrow as the principals' own permissions.
const RuleEndpointFullAccess = "aws.ec2.vpc-endpoint-default-policy"

func init() {
	rules[RuleEndpointFullAccess] = rule{
		title: "VPC endpoint uses the default full-access endpoint policy", severity: graph.SeverityLow,
		remediation: "Attach an endpoint policy that allows only the actions, resources and principals (aws:PrincipalOrgID) the VPC's workloads need.",
		fixEffort:   2,
	}
}

// endpointService returns the signing prefix of the service an endpoint
// serves ("com.amazonaws.us-east-1.ecr.api" -> "ecr"), or "" for services
// not offered by AWS under com.amazonaws.<region>. IAM's endpoint is
// global, "com.amazonaws.iam", and exists only in the region of IAM's
// control plane.
func endpointService(region, serviceName string) string {
	if serviceName == "com.amazonaws.iam" {
		return "iam"
	}
	rest, ok := strings.CutPrefix(serviceName, "com.amazonaws."+region+".")
	if !ok {
		return ""
	}
	svc, _, _ := strings.Cut(rest, ".")
	return svc
}

// workloadRoles maps each workload node to the roles its USES_IDENTITY
// moves lead to.
func (b *builder) workloadRoles() map[string][]string {
	out := map[string][]string{}
	for _, k := range b.eorder {
		e := b.edges[k]
		if e.Kind == graph.EdgeUsesIdentity && strings.Contains(e.To, ":role/") && !slices.Contains(out[e.From], e.To) {
			out[e.From] = append(out[e.From], e.To)
		}
	}
	return out
}

// endpointRoutes records, for every member of the endpoint's VPC that sends
// through it and uses a role, the route the identity part decides access
// with.
func (b *builder) endpointRoutes(x *regionIndex, ep *inventory.VPCEndpoint, users []endpointUser, roles map[string][]string) {
	svc := endpointService(x.name, ep.ServiceName)
	if svc == "" {
		return
	}
	id := b.ec2ARN(x.name, "vpc-endpoint", ep.ID)
	var fid string
	for _, u := range users {
		rs := roles[u.m.id]
		if len(rs) == 0 {
			continue
		}
		r := EndpointRoute{Workload: u.m.id, Roles: rs, Region: x.name, Service: svc, Endpoint: id, EndpointID: ep.ID,
			VPC: ep.VPCID, VPCArn: b.ec2ARN(x.name, "vpc", ep.VPCID), Policy: ep.Policy, Evidence: []string{u.evidence}}
		for _, blk := range u.m.blocks {
			if blk.Bits() == blk.Addr().BitLen() {
				r.SourceIPs = append(r.SourceIPs, blk.Addr().String())
			}
		}
		switch {
		case !strings.EqualFold(ep.Type, "Interface"):
			r.Default = true
		case ep.PrivateDNS:
			r.Default = true
			r.Evidence = append(r.Evidence, fmt.Sprintf("interface endpoint %s has private DNS: %s's default hostname resolves to it inside %s", ep.ID, svc, ep.VPCID))
		default:
			r.Evidence = append(r.Evidence, fmt.Sprintf("interface endpoint %s has no private DNS: only requests addressed to its own DNS name use it", ep.ID))
		}
		if fullAccessPolicy(ep.Policy) {
			if fid == "" {
				fid = b.flag(RuleEndpointFullAccess, id, defaultSeverity, fmt.Sprintf("endpoint %s (%s) keeps the default policy: any action on any resource for any principal", ep.ID, ep.ServiceName))
			}
			r.Findings = []string{fid}
		}
		b.routes = append(b.routes, r)
	}
}

// fullAccessPolicy reports whether an endpoint policy is AWS's default (or
// equivalent): absent, or an unconditional Allow of every action on every
// resource to everyone with no Deny. DescribeVpcEndpoints returns the
// default document for endpoints created without one.
func fullAccessPolicy(doc string) bool {
	if strings.TrimSpace(doc) == "" {
		return true
	}
	pol, err := policy.Parse([]byte(doc))
	if err != nil {
		return false
	}
	full := false
	for _, st := range pol.Statements {
		if st.Effect == policy.Deny {
			return false
		}
		everyone := st.Principal != nil && !st.NotPrincipal && (st.Principal.Wildcard || slices.Contains(st.Principal.AWS, "*"))
		if everyone && !st.NotActions && slices.Contains(st.Actions, "*") && !st.NotResources &&
			slices.Contains(st.Resources, "*") && len(st.Conditions) == 0 {
			full = true
		}
	}
	return full
}
