package fetch

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectELB reads classic load balancers, ELBv2 load balancers with their
// listeners, and target groups with their targets and health.
func (s *session) collectELB(ctx context.Context, region string, rd *inventory.RegionData) error {
	// Classic ELBs first and independently: a failed ELBv2 listing returns early.
	if classic, err := s.collectClassicELB(ctx, region); err != nil {
		s.fail(ServiceELB, region, err)
	} else {
		rd.LoadBalancers = append(rd.LoadBalancers, classic...)
	}
	c := elbv2.NewFromConfig(s.cfg, func(o *elbv2.Options) { o.Region = region })
	var lbs []inventory.LoadBalancer
	p := elbv2.NewDescribeLoadBalancersPaginator(c, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, lb := range page.LoadBalancers {
			o := inventory.LoadBalancer{ARN: aws.ToString(lb.LoadBalancerArn), Name: aws.ToString(lb.LoadBalancerName), Type: string(lb.Type),
				Scheme: string(lb.Scheme), DNSName: aws.ToString(lb.DNSName), VPCID: aws.ToString(lb.VpcId), SecurityGroupIDs: lb.SecurityGroups}
			for _, az := range lb.AvailabilityZones {
				o.SubnetIDs = append(o.SubnetIDs, aws.ToString(az.SubnetId))
			}
			lbs = append(lbs, o)
		}
	}
	forEach(ctx, len(lbs), s.opts.concurrency(), func(ctx context.Context, i int) {
		lp := elbv2.NewDescribeListenersPaginator(c, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbs[i].ARN)})
		for lp.HasMorePages() {
			page, err := lp.NextPage(ctx)
			if err != nil {
				s.fail(ServiceELB, region, err)
				return
			}
			for _, l := range page.Listeners {
				li := inventory.Listener{ARN: aws.ToString(l.ListenerArn), Protocol: string(l.Protocol), Port: aws.ToInt32(l.Port)}
				for _, a := range l.DefaultActions {
					if a.TargetGroupArn != nil {
						li.TargetGroupARNs = append(li.TargetGroupARNs, aws.ToString(a.TargetGroupArn))
					}
					if a.ForwardConfig != nil {
						for _, tg := range a.ForwardConfig.TargetGroups {
							if arn := aws.ToString(tg.TargetGroupArn); arn != "" && arn != aws.ToString(a.TargetGroupArn) {
								li.TargetGroupARNs = append(li.TargetGroupARNs, arn)
							}
						}
					}
				}
				lbs[i].Listeners = append(lbs[i].Listeners, li)
			}
		}
	})

	var tgs []inventory.TargetGroup
	tp := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, tg := range page.TargetGroups {
			tgs = append(tgs, inventory.TargetGroup{ARN: aws.ToString(tg.TargetGroupArn), Name: aws.ToString(tg.TargetGroupName),
				Protocol: string(tg.Protocol), Port: aws.ToInt32(tg.Port), TargetType: string(tg.TargetType), VPCID: aws.ToString(tg.VpcId),
				LoadBalancerARNs: tg.LoadBalancerArns, Targets: []inventory.Target{}})
		}
	}
	forEach(ctx, len(tgs), s.opts.concurrency(), func(ctx context.Context, i int) {
		out, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgs[i].ARN)})
		if err != nil {
			s.fail(ServiceELB, region, err)
			return
		}
		for _, d := range out.TargetHealthDescriptions {
			t := inventory.Target{}
			if d.Target != nil {
				t.ID, t.Port = aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
			}
			if d.TargetHealth != nil {
				t.Health = string(d.TargetHealth.State)
			}
			tgs[i].Targets = append(tgs[i].Targets, t)
		}
	})

	// DescribeTags takes at most 20 ARNs per call.
	for start := 0; start < len(lbs); start += 20 {
		end := min(start+20, len(lbs))
		var arns []string
		for _, lb := range lbs[start:end] {
			arns = append(arns, lb.ARN)
		}
		out, err := c.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns})
		if err != nil {
			s.detail(ServiceELB, "tags", region, "load balancers", err)
			break
		}
		byARN := map[string]inventory.Tags{}
		for _, td := range out.TagDescriptions {
			byARN[aws.ToString(td.ResourceArn)] = tagMap(td.Tags, func(t elbtypes.Tag) (*string, *string) { return t.Key, t.Value })
		}
		for i := start; i < end; i++ {
			lbs[i].Tags = byARN[lbs[i].ARN]
		}
	}
	rd.LoadBalancers, rd.TargetGroups = append(rd.LoadBalancers, lbs...), tgs
	return nil
}
