package fetch

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectEFS reads EFS file systems with their mount targets (subnet,
// address, security groups), file-system policy and access points: where a
// client must be on the network to mount one, and whether IAM decides who
// may (a policy in effect) or any client that reaches a mount target may
// (EFS's default policy, answered as PolicyNotFound). No file is read.
func (s *session) collectEFS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := efs.NewFromConfig(s.cfg, func(o *efs.Options) { o.Region = region })
	var out []inventory.FileSystem
	p := efs.NewDescribeFileSystemsPaginator(c, &efs.DescribeFileSystemsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, d := range page.FileSystems {
			fs := inventory.FileSystem{ID: aws.ToString(d.FileSystemId), ARN: aws.ToString(d.FileSystemArn), Name: aws.ToString(d.Name),
				Encrypted: aws.ToBool(d.Encrypted), KMSKeyID: aws.ToString(d.KmsKeyId)}
			if fs.ARN == "" {
				fs.ARN = "arn:" + s.inv.Partition + ":elasticfilesystem:" + region + ":" + s.inv.AccountID + ":file-system/" + fs.ID
			}
			fs.Tags = tagMap(d.Tags, func(t efstypes.Tag) (*string, *string) { return t.Key, t.Value })
			out = append(out, fs)
		}
	}
	forEach(ctx, len(out), s.opts.concurrency(), func(ctx context.Context, i int) {
		s.efsDetails(ctx, c, region, &out[i])
	})
	rd.FileSystems = out
	return nil
}

// efsDetails fills one file system's mount targets, policy and access
// points; what cannot be read is kept in its Errors.
func (s *session) efsDetails(ctx context.Context, c *efs.Client, region string, fs *inventory.FileSystem) {
	mp := efs.NewDescribeMountTargetsPaginator(c, &efs.DescribeMountTargetsInput{FileSystemId: aws.String(fs.ID)})
	for mp.HasMorePages() {
		page, err := mp.NextPage(ctx)
		if err != nil {
			fs.Errors = append(fs.Errors, s.detail(ServiceEFS, "mount-targets", region, fs.ARN, err))
			break
		}
		for _, m := range page.MountTargets {
			mt := inventory.EFSMountTarget{ID: aws.ToString(m.MountTargetId), SubnetID: aws.ToString(m.SubnetId), VPCID: aws.ToString(m.VpcId),
				IPAddress: aws.ToString(m.IpAddress), State: string(m.LifeCycleState)}
			sg, err := c.DescribeMountTargetSecurityGroups(ctx, &efs.DescribeMountTargetSecurityGroupsInput{MountTargetId: m.MountTargetId})
			if err != nil {
				fs.Errors = append(fs.Errors, s.detail(ServiceEFS, "mount-target-security-groups", region, mt.ID, err))
			} else {
				mt.SecurityGroupIDs = sg.SecurityGroups
			}
			fs.MountTargets = append(fs.MountTargets, mt)
		}
	}
	pol, err := c.DescribeFileSystemPolicy(ctx, &efs.DescribeFileSystemPolicyInput{FileSystemId: aws.String(fs.ID)})
	switch {
	case err == nil:
		fs.Policy = aws.ToString(pol.Policy)
	case !hasCode(err, "PolicyNotFound"):
		fs.Errors = append(fs.Errors, s.detail(ServiceEFS, "policy", region, fs.ARN, err))
	}
	ap := efs.NewDescribeAccessPointsPaginator(c, &efs.DescribeAccessPointsInput{FileSystemId: aws.String(fs.ID)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			fs.Errors = append(fs.Errors, s.detail(ServiceEFS, "access-points", region, fs.ARN, err))
			break
		}
		for _, a := range page.AccessPoints {
			x := inventory.EFSAccessPoint{ID: aws.ToString(a.AccessPointId), ARN: aws.ToString(a.AccessPointArn)}
			if a.RootDirectory != nil {
				x.RootDirectory = aws.ToString(a.RootDirectory.Path)
			}
			if a.PosixUser != nil {
				x.PosixUID, x.PosixGID = a.PosixUser.Uid, a.PosixUser.Gid
			}
			fs.AccessPoints = append(fs.AccessPoints, x)
		}
	}
}
