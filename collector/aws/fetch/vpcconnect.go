package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectVPCConnectivity reads what carries traffic between VPCs and to AWS
// services without the internet: peering connections, transit gateways
// (attachments, route tables with their routes and propagations) and VPC
// endpoints. Each Describe call stands alone, like collectEC2's.
func (s *session) collectVPCConnectivity(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData) {
	step := func(fn func() error) {
		if err := fn(); err != nil {
			s.fail(ServiceEC2, region, err)
		}
	}
	step(func() error {
		p := ec2.NewDescribeVpcPeeringConnectionsPaginator(c, &ec2.DescribeVpcPeeringConnectionsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeVpcPeeringConnections: %w", err)
			}
			for _, pc := range page.VpcPeeringConnections {
				v := inventory.VPCPeering{ID: aws.ToString(pc.VpcPeeringConnectionId), Tags: ec2Tags(pc.Tags),
					Requester: peeringSide(pc.RequesterVpcInfo), Accepter: peeringSide(pc.AccepterVpcInfo)}
				if pc.Status != nil {
					v.Status = string(pc.Status.Code)
				}
				rd.VPCPeerings = append(rd.VPCPeerings, v)
			}
		}
		return nil
	})
	step(func() error {
		p := ec2.NewDescribeTransitGatewaysPaginator(c, &ec2.DescribeTransitGatewaysInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeTransitGateways: %w", err)
			}
			for _, g := range page.TransitGateways {
				rd.TransitGateways = append(rd.TransitGateways, inventory.TransitGateway{ID: aws.ToString(g.TransitGatewayId),
					ARN: aws.ToString(g.TransitGatewayArn), OwnerID: aws.ToString(g.OwnerId), State: string(g.State), Tags: ec2Tags(g.Tags)})
			}
		}
		return nil
	})
	if len(rd.TransitGateways) > 0 {
		s.collectTGWDetails(ctx, c, region, rd, step)
	}
	step(func() error {
		p := ec2.NewDescribeVpcEndpointsPaginator(c, &ec2.DescribeVpcEndpointsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeVpcEndpoints: %w", err)
			}
			for _, e := range page.VpcEndpoints {
				ep := inventory.VPCEndpoint{ID: aws.ToString(e.VpcEndpointId), VPCID: aws.ToString(e.VpcId), ServiceName: aws.ToString(e.ServiceName),
					Type: string(e.VpcEndpointType), State: string(e.State), Policy: aws.ToString(e.PolicyDocument),
					PrivateDNS: aws.ToBool(e.PrivateDnsEnabled), OwnerID: aws.ToString(e.OwnerId), RouteTableIDs: e.RouteTableIds,
					SubnetIDs: e.SubnetIds, NetworkInterfaceIDs: e.NetworkInterfaceIds, Tags: ec2Tags(e.Tags)}
				for _, g := range e.Groups {
					ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, aws.ToString(g.GroupId))
				}
				if ep.Type == "" && len(ep.RouteTableIDs) > 0 {
					// Emulators may leave the type out; only gateway
					// endpoints are placed in route tables.
					ep.Type = string(ec2types.VpcEndpointTypeGateway)
				}
				rd.VPCEndpoints = append(rd.VPCEndpoints, ep)
			}
		}
		return nil
	})
}

// collectTGWDetails reads the attachments and route tables of the region's
// transit gateways. A route table whose routes or propagations cannot be
// read keeps the error on the table (the table is still known to exist).
func (s *session) collectTGWDetails(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData, step func(func() error)) {
	step(func() error {
		p := ec2.NewDescribeTransitGatewayAttachmentsPaginator(c, &ec2.DescribeTransitGatewayAttachmentsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeTransitGatewayAttachments: %w", err)
			}
			for _, a := range page.TransitGatewayAttachments {
				att := inventory.TGWAttachment{ID: aws.ToString(a.TransitGatewayAttachmentId), TransitGatewayID: aws.ToString(a.TransitGatewayId),
					ResourceType: string(a.ResourceType), ResourceID: aws.ToString(a.ResourceId), ResourceOwnerID: aws.ToString(a.ResourceOwnerId),
					State: string(a.State), Tags: ec2Tags(a.Tags)}
				if a.Association != nil && a.Association.State == ec2types.TransitGatewayAssociationStateAssociated {
					att.RouteTableID = aws.ToString(a.Association.TransitGatewayRouteTableId)
				}
				rd.TGWAttachments = append(rd.TGWAttachments, att)
			}
		}
		return nil
	})
	step(func() error {
		// Security-group referencing across a transit gateway is a VPC
		// attachment option, only in this call's answer.
		byID := map[string]*inventory.TGWAttachment{}
		for i := range rd.TGWAttachments {
			byID[rd.TGWAttachments[i].ID] = &rd.TGWAttachments[i]
		}
		p := ec2.NewDescribeTransitGatewayVpcAttachmentsPaginator(c, &ec2.DescribeTransitGatewayVpcAttachmentsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeTransitGatewayVpcAttachments: %w", err)
			}
			for _, a := range page.TransitGatewayVpcAttachments {
				if att := byID[aws.ToString(a.TransitGatewayAttachmentId)]; att != nil && a.Options != nil {
					att.SecurityGroupReferencing = string(a.Options.SecurityGroupReferencingSupport)
				}
			}
		}
		return nil
	})
	step(func() error {
		p := ec2.NewDescribeTransitGatewayRouteTablesPaginator(c, &ec2.DescribeTransitGatewayRouteTablesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("DescribeTransitGatewayRouteTables: %w", err)
			}
			for _, t := range page.TransitGatewayRouteTables {
				rt := inventory.TGWRouteTable{ID: aws.ToString(t.TransitGatewayRouteTableId), TransitGatewayID: aws.ToString(t.TransitGatewayId),
					Routes: []inventory.TGWRoute{}, Tags: ec2Tags(t.Tags)}
				if err := tgwRoutes(ctx, c, &rt); err != nil {
					rt.Errors = append(rt.Errors, err.Error())
				}
				if err := tgwPropagations(ctx, c, &rt); err != nil {
					rt.Errors = append(rt.Errors, err.Error())
				}
				rd.TGWRouteTables = append(rd.TGWRouteTables, rt)
			}
		}
		return nil
	})
}

func tgwRoutes(ctx context.Context, c *ec2.Client, rt *inventory.TGWRouteTable) error {
	p := ec2.NewSearchTransitGatewayRoutesPaginator(c, &ec2.SearchTransitGatewayRoutesInput{
		TransitGatewayRouteTableId: aws.String(rt.ID),
		Filters:                    []ec2types.Filter{{Name: aws.String("state"), Values: []string{"active", "blackhole"}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("SearchTransitGatewayRoutes %s: %w", rt.ID, err)
		}
		for _, r := range page.Routes {
			route := inventory.TGWRoute{DestinationCIDR: aws.ToString(r.DestinationCidrBlock), PrefixListID: aws.ToString(r.PrefixListId),
				Type: string(r.Type), State: string(r.State)}
			for _, a := range r.TransitGatewayAttachments {
				route.AttachmentIDs = append(route.AttachmentIDs, aws.ToString(a.TransitGatewayAttachmentId))
			}
			rt.Routes = append(rt.Routes, route)
		}
	}
	return nil
}

func tgwPropagations(ctx context.Context, c *ec2.Client, rt *inventory.TGWRouteTable) error {
	p := ec2.NewGetTransitGatewayRouteTablePropagationsPaginator(c, &ec2.GetTransitGatewayRouteTablePropagationsInput{TransitGatewayRouteTableId: aws.String(rt.ID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("GetTransitGatewayRouteTablePropagations %s: %w", rt.ID, err)
		}
		for _, pr := range page.TransitGatewayRouteTablePropagations {
			if pr.State == ec2types.TransitGatewayPropagationStateEnabled {
				rt.Propagations = append(rt.Propagations, aws.ToString(pr.TransitGatewayAttachmentId))
			}
		}
	}
	return nil
}

func peeringSide(v *ec2types.VpcPeeringConnectionVpcInfo) inventory.PeeringSide {
	if v == nil {
		return inventory.PeeringSide{}
	}
	side := inventory.PeeringSide{VPCID: aws.ToString(v.VpcId), OwnerID: aws.ToString(v.OwnerId), Region: aws.ToString(v.Region)}
	for _, b := range v.CidrBlockSet {
		side.CIDRs = appendUniq(side.CIDRs, aws.ToString(b.CidrBlock))
	}
	if len(side.CIDRs) == 0 && v.CidrBlock != nil {
		side.CIDRs = append(side.CIDRs, aws.ToString(v.CidrBlock))
	}
	for _, b := range v.Ipv6CidrBlockSet {
		side.CIDRs = appendUniq(side.CIDRs, aws.ToString(b.Ipv6CidrBlock))
	}
	return side
}

func appendUniq(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	if v == "" {
		return list
	}
	return append(list, v)
}
