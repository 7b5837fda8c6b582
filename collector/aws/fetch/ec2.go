package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func ec2Tags(in []ec2types.Tag) inventory.Tags {
	return tagMap(in, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
}

// collectEC2 reads the region's network, instances, snapshots and images.
// Each Describe call stands alone: one that fails is recorded and the
// others still run.
func (s *session) collectEC2(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := ec2.NewFromConfig(s.cfg, func(o *ec2.Options) { o.Region = region })
	arn := func(kind, id string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", s.inv.Partition, region, s.inv.AccountID, kind, id)
	}
	step := func(fn func() error) {
		if err := fn(); err != nil {
			s.fail(ServiceEC2, region, err)
		}
	}

	step(func() error {
		p := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, v := range page.Vpcs {
				vpc := inventory.VPC{ID: aws.ToString(v.VpcId), ARN: arn("vpc", aws.ToString(v.VpcId)), IsDefault: aws.ToBool(v.IsDefault),
					State: string(v.State), OwnerID: aws.ToString(v.OwnerId), Tags: ec2Tags(v.Tags)}
				for _, b := range v.CidrBlockAssociationSet {
					vpc.CIDRBlocks = append(vpc.CIDRBlocks, aws.ToString(b.CidrBlock))
				}
				if len(vpc.CIDRBlocks) == 0 && v.CidrBlock != nil {
					vpc.CIDRBlocks = append(vpc.CIDRBlocks, aws.ToString(v.CidrBlock))
				}
				for _, b := range v.Ipv6CidrBlockAssociationSet {
					vpc.CIDRBlocks = append(vpc.CIDRBlocks, aws.ToString(b.Ipv6CidrBlock))
				}
				rd.VPCs = append(rd.VPCs, vpc)
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, sn := range page.Subnets {
				sub := inventory.Subnet{ID: aws.ToString(sn.SubnetId), ARN: aws.ToString(sn.SubnetArn), VPCID: aws.ToString(sn.VpcId),
					CIDRBlock: aws.ToString(sn.CidrBlock), AvailabilityZone: aws.ToString(sn.AvailabilityZone),
					MapPublicIPOnLaunch: aws.ToBool(sn.MapPublicIpOnLaunch), DefaultForAZ: aws.ToBool(sn.DefaultForAz), Tags: ec2Tags(sn.Tags)}
				if sub.ARN == "" {
					sub.ARN = arn("subnet", sub.ID)
				}
				for _, b := range sn.Ipv6CidrBlockAssociationSet {
					sub.IPv6CIDRBlocks = append(sub.IPv6CIDRBlocks, aws.ToString(b.Ipv6CidrBlock))
				}
				rd.Subnets = append(rd.Subnets, sub)
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, t := range page.RouteTables {
				rt := inventory.RouteTable{ID: aws.ToString(t.RouteTableId), VPCID: aws.ToString(t.VpcId), Tags: ec2Tags(t.Tags),
					Routes: []inventory.Route{}, Associations: []inventory.RouteTableAssociation{}}
				for _, r := range t.Routes {
					rt.Routes = append(rt.Routes, inventory.Route{
						DestinationCIDR: aws.ToString(r.DestinationCidrBlock), DestinationIPv6CIDR: aws.ToString(r.DestinationIpv6CidrBlock),
						DestinationPrefixListID: aws.ToString(r.DestinationPrefixListId), GatewayID: aws.ToString(r.GatewayId),
						NatGatewayID: aws.ToString(r.NatGatewayId), EgressOnlyGatewayID: aws.ToString(r.EgressOnlyInternetGatewayId),
						InstanceID: aws.ToString(r.InstanceId), NetworkInterfaceID: aws.ToString(r.NetworkInterfaceId),
						TransitGatewayID: aws.ToString(r.TransitGatewayId), VPCPeeringConnectionID: aws.ToString(r.VpcPeeringConnectionId),
						State: string(r.State),
					})
				}
				for _, a := range t.Associations {
					rt.Associations = append(rt.Associations, inventory.RouteTableAssociation{ID: aws.ToString(a.RouteTableAssociationId),
						SubnetID: aws.ToString(a.SubnetId), Main: aws.ToBool(a.Main)})
				}
				rd.RouteTables = append(rd.RouteTables, rt)
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeInternetGatewaysPaginator(c, &ec2.DescribeInternetGatewaysInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, g := range page.InternetGateways {
				igw := inventory.InternetGateway{ID: aws.ToString(g.InternetGatewayId), VPCs: []string{}, Tags: ec2Tags(g.Tags)}
				for _, a := range g.Attachments {
					igw.VPCs = append(igw.VPCs, aws.ToString(a.VpcId))
				}
				rd.InternetGateways = append(rd.InternetGateways, igw)
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeNatGatewaysPaginator(c, &ec2.DescribeNatGatewaysInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, g := range page.NatGateways {
				nat := inventory.NATGateway{ID: aws.ToString(g.NatGatewayId), VPCID: aws.ToString(g.VpcId), SubnetID: aws.ToString(g.SubnetId),
					State: string(g.State), ConnectivityType: string(g.ConnectivityType), Tags: ec2Tags(g.Tags)}
				for _, a := range g.NatGatewayAddresses {
					if ip := aws.ToString(a.PublicIp); ip != "" {
						nat.PublicIPs = append(nat.PublicIPs, ip)
					}
				}
				rd.NATGateways = append(rd.NATGateways, nat)
			}
		}
		return nil
	})

	step(func() error {
		// DescribeAddresses has no pagination: it returns every address.
		out, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
		if err != nil {
			return err
		}
		for _, a := range out.Addresses {
			rd.ElasticIPs = append(rd.ElasticIPs, inventory.ElasticIP{AllocationID: aws.ToString(a.AllocationId), PublicIP: aws.ToString(a.PublicIp),
				AssociationID: aws.ToString(a.AssociationId), InstanceID: aws.ToString(a.InstanceId),
				NetworkInterfaceID: aws.ToString(a.NetworkInterfaceId), PrivateIP: aws.ToString(a.PrivateIpAddress), Tags: ec2Tags(a.Tags)})
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, g := range page.SecurityGroups {
				rd.SecurityGroups = append(rd.SecurityGroups, inventory.SecurityGroup{
					ID: aws.ToString(g.GroupId), ARN: arn("security-group", aws.ToString(g.GroupId)), Name: aws.ToString(g.GroupName),
					Description: aws.ToString(g.Description), VPCID: aws.ToString(g.VpcId), OwnerID: aws.ToString(g.OwnerId),
					Ingress: sgRules(g.IpPermissions), Egress: sgRules(g.IpPermissionsEgress), Tags: ec2Tags(g.Tags),
				})
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeNetworkAclsPaginator(c, &ec2.DescribeNetworkAclsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, a := range page.NetworkAcls {
				acl := inventory.NetworkACL{ID: aws.ToString(a.NetworkAclId), VPCID: aws.ToString(a.VpcId), IsDefault: aws.ToBool(a.IsDefault),
					Entries: []inventory.ACLEntry{}, SubnetIDs: []string{}, Tags: ec2Tags(a.Tags)}
				for _, e := range a.Entries {
					en := inventory.ACLEntry{RuleNumber: aws.ToInt32(e.RuleNumber), Egress: aws.ToBool(e.Egress), Protocol: aws.ToString(e.Protocol),
						Allow: e.RuleAction == ec2types.RuleActionAllow, CIDR: aws.ToString(e.CidrBlock), IPv6CIDR: aws.ToString(e.Ipv6CidrBlock)}
					if e.PortRange != nil {
						en.FromPort, en.ToPort = aws.ToInt32(e.PortRange.From), aws.ToInt32(e.PortRange.To)
					}
					acl.Entries = append(acl.Entries, en)
				}
				for _, as := range a.Associations {
					acl.SubnetIDs = append(acl.SubnetIDs, aws.ToString(as.SubnetId))
				}
				rd.NetworkACLs = append(rd.NetworkACLs, acl)
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, n := range page.NetworkInterfaces {
				eni := inventory.NetworkInterface{ID: aws.ToString(n.NetworkInterfaceId), SubnetID: aws.ToString(n.SubnetId), VPCID: aws.ToString(n.VpcId),
					InterfaceType: string(n.InterfaceType), Description: aws.ToString(n.Description), RequesterID: aws.ToString(n.RequesterId),
					Status: string(n.Status), Tags: ec2Tags(n.TagSet)}
				for _, ip := range n.PrivateIpAddresses {
					eni.PrivateIPs = append(eni.PrivateIPs, aws.ToString(ip.PrivateIpAddress))
				}
				for _, ip := range n.Ipv6Addresses {
					eni.IPv6Addresses = append(eni.IPv6Addresses, aws.ToString(ip.Ipv6Address))
				}
				if n.Association != nil {
					eni.PublicIP = aws.ToString(n.Association.PublicIp)
				}
				for _, g := range n.Groups {
					eni.SecurityGroupIDs = append(eni.SecurityGroupIDs, aws.ToString(g.GroupId))
				}
				if n.Attachment != nil {
					eni.AttachedInstance = aws.ToString(n.Attachment.InstanceId)
				}
				rd.NetworkInterfaces = append(rd.NetworkInterfaces, eni)
			}
		}
		return nil
	})

	step(func() error {
		p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, r := range page.Reservations {
				for _, i := range r.Instances {
					rd.Instances = append(rd.Instances, s.instance(region, i))
				}
			}
		}
		return nil
	})

	s.collectVPCConnectivity(ctx, c, region, rd)
	s.serialConsole(ctx, c, region, rd)
	step(func() error { return s.launchTemplates(ctx, c, region, rd) })
	s.userData(ctx, c, region, rd)
	step(func() error { return s.snapshots(ctx, c, region, rd) })
	step(func() error { return s.images(ctx, c, region, rd) })
	return nil
}

func (s *session) instance(region string, i ec2types.Instance) inventory.Instance {
	in := inventory.Instance{
		ID: aws.ToString(i.InstanceId), ARN: fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", s.inv.Partition, region, s.inv.AccountID, aws.ToString(i.InstanceId)),
		InstanceType: string(i.InstanceType), ImageID: aws.ToString(i.ImageId), PublicIP: aws.ToString(i.PublicIpAddress),
		PublicDNS: aws.ToString(i.PublicDnsName), PrivateIP: aws.ToString(i.PrivateIpAddress), SubnetID: aws.ToString(i.SubnetId),
		VPCID: aws.ToString(i.VpcId), LaunchTime: timeOf(i.LaunchTime), Platform: aws.ToString(i.PlatformDetails), Tags: ec2Tags(i.Tags),
	}
	if i.State != nil {
		in.State = string(i.State.Name)
	}
	for _, g := range i.SecurityGroups {
		in.SecurityGroupIDs = append(in.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	for _, n := range i.NetworkInterfaces {
		in.NetworkInterfaces = append(in.NetworkInterfaces, aws.ToString(n.NetworkInterfaceId))
	}
	if i.IamInstanceProfile != nil {
		in.InstanceProfileARN = aws.ToString(i.IamInstanceProfile.Arn)
	}
	if m := i.MetadataOptions; m != nil {
		in.MetadataHTTPTokens, in.MetadataHTTPEndpoint, in.MetadataHopLimit = string(m.HttpTokens), string(m.HttpEndpoint), aws.ToInt32(m.HttpPutResponseHopLimit)
	}
	return in
}

// sgRules flattens IP permissions, keeping every kind of peer.
func sgRules(perms []ec2types.IpPermission) []inventory.SGRule {
	out := []inventory.SGRule{}
	for _, p := range perms {
		r := inventory.SGRule{Protocol: aws.ToString(p.IpProtocol), FromPort: aws.ToInt32(p.FromPort), ToPort: aws.ToInt32(p.ToPort)}
		if r.Protocol == "-1" && p.FromPort == nil {
			r.FromPort, r.ToPort = -1, -1
		}
		for _, x := range p.IpRanges {
			r.CIDRs = append(r.CIDRs, aws.ToString(x.CidrIp))
		}
		for _, x := range p.Ipv6Ranges {
			r.IPv6CIDRs = append(r.IPv6CIDRs, aws.ToString(x.CidrIpv6))
		}
		for _, x := range p.PrefixListIds {
			r.PrefixLists = append(r.PrefixLists, aws.ToString(x.PrefixListId))
		}
		for _, x := range p.UserIdGroupPairs {
			r.GroupRefs = append(r.GroupRefs, inventory.SGRef{GroupID: aws.ToString(x.GroupId), UserID: aws.ToString(x.UserId), VPCID: aws.ToString(x.VpcId)})
		}
		out = append(out, r)
	}
	return out
}

// snapshots lists the account's own EBS snapshots and who may create
// volumes from each (group "all" = public).
func (s *session) snapshots(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData) error {
	var snaps []ec2types.Snapshot
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		snaps = append(snaps, page.Snapshots...)
	}
	out := make([]inventory.EBSSnapshot, len(snaps))
	forEach(ctx, len(snaps), s.opts.concurrency(), func(ctx context.Context, i int) {
		sn := snaps[i]
		id := aws.ToString(sn.SnapshotId)
		o := inventory.EBSSnapshot{ID: id, ARN: fmt.Sprintf("arn:%s:ec2:%s::snapshot/%s", s.inv.Partition, region, id),
			VolumeID: aws.ToString(sn.VolumeId), Encrypted: aws.ToBool(sn.Encrypted), KMSKeyID: aws.ToString(sn.KmsKeyId),
			StartTime: timeOf(sn.StartTime), Tags: ec2Tags(sn.Tags)}
		attr, err := c.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: sn.SnapshotId,
			Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission})
		if err != nil {
			s.detail(ServiceEC2, "snapshot-permissions", region, o.ARN, err)
		} else {
			for _, perm := range attr.CreateVolumePermissions {
				if perm.Group == ec2types.PermissionGroupAll {
					o.Public = true
				}
				if u := aws.ToString(perm.UserId); u != "" {
					o.SharedWith = append(o.SharedWith, u)
				}
			}
		}
		out[i] = o
	})
	rd.Snapshots = out
	return nil
}

// images lists the account's own AMIs and their launch permissions.
func (s *session) images(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData) error {
	var imgs []ec2types.Image
	p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		imgs = append(imgs, page.Images...)
	}
	out := make([]inventory.AMI, len(imgs))
	forEach(ctx, len(imgs), s.opts.concurrency(), func(ctx context.Context, i int) {
		im := imgs[i]
		id := aws.ToString(im.ImageId)
		o := inventory.AMI{ID: id, ARN: fmt.Sprintf("arn:%s:ec2:%s::image/%s", s.inv.Partition, region, id), Name: aws.ToString(im.Name),
			State: string(im.State), Public: aws.ToBool(im.Public), Tags: ec2Tags(im.Tags)}
		attr, err := c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: im.ImageId, Attribute: ec2types.ImageAttributeNameLaunchPermission})
		if err != nil {
			s.detail(ServiceEC2, "image-permissions", region, o.ARN, err)
		} else {
			for _, perm := range attr.LaunchPermissions {
				if perm.Group == ec2types.PermissionGroupAll {
					o.Public = true
				}
				if u := aws.ToString(perm.UserId); u != "" {
					o.SharedWith = append(o.SharedWith, u)
				}
			}
		}
		out[i] = o
	})
	rd.Images = out
	return nil
}

// serialConsole reads whether the account allows EC2 serial console access
// in the region. An unreadable status stays unknown (no serial console
// move is drawn, so nothing false is added) and is logged and kept on the
// region rather than failing the ec2 area: emulators do not implement the
// call, and the setting only ever adds moves.
func (s *session) serialConsole(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData) {
	// One attempt: a best-effort read of a setting (emulators answer 500),
	// not worth the retry budget.
	out, err := c.GetSerialConsoleAccessStatus(ctx, &ec2.GetSerialConsoleAccessStatusInput{}, func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		rd.SerialConsoleError = reason(err)
		s.log.Warn("EC2 serial console access status unknown; serial console moves are not drawn", "region", region, "err", rd.SerialConsoleError)
		return
	}
	rd.SerialConsoleAccess = "disabled"
	if aws.ToBool(out.SerialConsoleAccessEnabled) {
		rd.SerialConsoleAccess = "enabled"
	}
}

// launchTemplates reads the region's launch templates and the instance
// profile of each one's default version (what a new default version
// published by an attacker would launch with).
func (s *session) launchTemplates(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData) error {
	p := ec2.NewDescribeLaunchTemplatesPaginator(c, &ec2.DescribeLaunchTemplatesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeLaunchTemplates: %w", err)
		}
		for _, t := range page.LaunchTemplates {
			lt := inventory.LaunchTemplate{ID: aws.ToString(t.LaunchTemplateId), Name: aws.ToString(t.LaunchTemplateName),
				DefaultVersion: aws.ToInt64(t.DefaultVersionNumber), Tags: ec2Tags(t.Tags)}
			v, err := c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: t.LaunchTemplateId, Versions: []string{"$Default"}})
			switch {
			case err != nil:
				lt.Errors = append(lt.Errors, s.detail(ServiceEC2, "launch-template-versions", region, lt.ID, err))
			case len(v.LaunchTemplateVersions) > 0 && v.LaunchTemplateVersions[0].LaunchTemplateData != nil:
				if ip := v.LaunchTemplateVersions[0].LaunchTemplateData.IamInstanceProfile; ip != nil {
					lt.InstanceProfile = aws.ToString(ip.Arn)
					if lt.InstanceProfile == "" {
						lt.InstanceProfile = aws.ToString(ip.Name)
					}
				}
			}
			rd.LaunchTemplates = append(rd.LaunchTemplates, lt)
		}
	}
	return nil
}
