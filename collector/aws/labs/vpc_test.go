package labs

import (
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// labVPC is a VPC a scenario lays out itself: subnets and security groups as its terraform has them.
type labVPC struct {
	e  *estate
	id string
}

// newVPC creates a VPC with the CIDR and no subnet.
func (e *estate) newVPC(cidr string) labVPC {
	v, err := e.ec2().CreateVpc(e.ctx, &ec2.CreateVpcInput{CidrBlock: s(cidr)})
	e.check("vpc", err)
	return labVPC{e: e, id: *v.Vpc.VpcId}
}

// subnet creates a subnet in the availability zone ("a", "b", ...) and returns its id.
func (v labVPC) subnet(cidr, az string) string {
	out, err := v.e.ec2().CreateSubnet(v.e.ctx, &ec2.CreateSubnetInput{VpcId: s(v.id), CidrBlock: s(cidr), AvailabilityZone: s(region + az)})
	v.e.check("subnet "+cidr, err)
	return *out.Subnet.SubnetId
}

// group creates a security group (the default allow-all egress) with the ingress permissions.
func (v labVPC) group(name string, perms ...ec2types.IpPermission) string {
	c := v.e.ec2()
	sg, err := c.CreateSecurityGroup(v.e.ctx, &ec2.CreateSecurityGroupInput{GroupName: s(name), Description: s("lab"), VpcId: s(v.id)})
	v.e.check("security group "+name, err)
	if len(perms) > 0 {
		_, err = c.AuthorizeSecurityGroupIngress(v.e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perms})
		v.e.check("ingress "+name, err)
	}
	return *sg.GroupId
}

// tcp is an ingress permission on one TCP port from the CIDRs and security groups.
func tcp(port int32, cidrs []string, groups ...string) ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: s("tcp"), FromPort: sdkaws.Int32(port), ToPort: sdkaws.Int32(port)}
	for _, c := range cidrs {
		p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: s(c)})
	}
	for _, g := range groups {
		p.UserIdGroupPairs = append(p.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: s(g)})
	}
	return p
}
