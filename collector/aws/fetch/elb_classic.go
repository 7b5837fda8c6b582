package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbctypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectClassicELB reads the region's classic load balancers (listeners,
// registered instances, security groups, subnets, scheme, tags, attributes)
// as LoadBalancers of Type "classic". They belong to the "elb" area: a
// failed listing is returned and fails that area; a failed attribute read
// is a per-resource detail (elb/classic-attributes).
func (s *session) collectClassicELB(ctx context.Context, region string) ([]inventory.LoadBalancer, error) {
	c := elb.NewFromConfig(s.cfg, func(o *elb.Options) { o.Region = region })
	var lbs []inventory.LoadBalancer
	p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range page.LoadBalancerDescriptions {
			lbs = append(lbs, s.classicLoadBalancer(region, d))
		}
	}
	forEach(ctx, len(lbs), s.opts.concurrency(), func(ctx context.Context, i int) {
		out, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerName: aws.String(lbs[i].Name)})
		if err != nil {
			lbs[i].Errors = append(lbs[i].Errors, s.detail(ServiceELB, "classic-attributes", region, lbs[i].ARN, err))
			return
		}
		lbs[i].Classic = classicAttributes(out.LoadBalancerAttributes)
	})
	// DescribeTags takes at most 20 names per call.
	for start := 0; start < len(lbs); start += 20 {
		end := min(start+20, len(lbs))
		var names []string
		for _, lb := range lbs[start:end] {
			names = append(names, lb.Name)
		}
		out, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{LoadBalancerNames: names})
		if err != nil {
			reason := s.detail(ServiceELB, "tags", region, "classic load balancers", err)
			for i := start; i < end; i++ {
				lbs[i].Errors = append(lbs[i].Errors, reason)
			}
			continue
		}
		byName := map[string]inventory.Tags{}
		for _, td := range out.TagDescriptions {
			byName[aws.ToString(td.LoadBalancerName)] = tagMap(td.Tags, func(t elbctypes.Tag) (*string, *string) { return t.Key, t.Value })
		}
		for i := start; i < end; i++ {
			lbs[i].Tags = byName[lbs[i].Name]
		}
	}
	return lbs, nil
}

// classicLoadBalancer converts one description. Classic ELBs have no ARN in
// the API; the synthesized one has the documented form
// arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<name>.
func (s *session) classicLoadBalancer(region string, d elbctypes.LoadBalancerDescription) inventory.LoadBalancer {
	name := aws.ToString(d.LoadBalancerName)
	lb := inventory.LoadBalancer{
		ARN:  fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:loadbalancer/%s", s.inv.Partition, region, s.inv.AccountID, name),
		Name: name, Type: "classic", Scheme: aws.ToString(d.Scheme), DNSName: aws.ToString(d.DNSName), VPCID: aws.ToString(d.VPCId),
		SubnetIDs: d.Subnets, SecurityGroupIDs: d.SecurityGroups,
	}
	for _, ld := range d.ListenerDescriptions {
		l := ld.Listener
		if l == nil {
			continue
		}
		lb.Listeners = append(lb.Listeners, inventory.Listener{Protocol: aws.ToString(l.Protocol), Port: l.LoadBalancerPort,
			InstancePort: aws.ToInt32(l.InstancePort), InstanceProtocol: aws.ToString(l.InstanceProtocol), SSLCertificateID: aws.ToString(l.SSLCertificateId)})
	}
	for _, in := range d.Instances {
		if id := aws.ToString(in.InstanceId); id != "" {
			lb.InstanceIDs = append(lb.InstanceIDs, id)
		}
	}
	return lb
}

func classicAttributes(a *elbctypes.LoadBalancerAttributes) *inventory.ClassicELBAttributes {
	out := &inventory.ClassicELBAttributes{}
	if a == nil {
		return out
	}
	if a.CrossZoneLoadBalancing != nil {
		out.CrossZone = a.CrossZoneLoadBalancing.Enabled
	}
	if a.AccessLog != nil {
		out.AccessLogEnabled = a.AccessLog.Enabled
	}
	if a.ConnectionDraining != nil {
		out.ConnectionDraining = a.ConnectionDraining.Enabled
	}
	if a.ConnectionSettings != nil {
		out.IdleTimeoutSeconds = aws.ToInt32(a.ConnectionSettings.IdleTimeout)
	}
	for _, ad := range a.AdditionalAttributes {
		if aws.ToString(ad.Key) == "elb.http.desyncmitigationmode" {
			out.DesyncMitigationMode = aws.ToString(ad.Value)
		}
	}
	return out
}
