package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func rdsTags(in []rdstypes.Tag) inventory.Tags {
	return tagMap(in, func(t rdstypes.Tag) (*string, *string) { return t.Key, t.Value })
}

// collectRDS reads DB instances, clusters, and the account's manual
// snapshots with their restore permissions (public when "all").
func (s *session) collectRDS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := rds.NewFromConfig(s.cfg, func(o *rds.Options) { o.Region = region })
	ip := rds.NewDescribeDBInstancesPaginator(c, &rds.DescribeDBInstancesInput{})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, d := range page.DBInstances {
			o := inventory.DBInstance{ID: aws.ToString(d.DBInstanceIdentifier), ARN: aws.ToString(d.DBInstanceArn), Engine: aws.ToString(d.Engine),
				Status: aws.ToString(d.DBInstanceStatus), PubliclyAccessible: aws.ToBool(d.PubliclyAccessible),
				StorageEncrypted: aws.ToBool(d.StorageEncrypted), KMSKeyID: aws.ToString(d.KmsKeyId), ClusterID: aws.ToString(d.DBClusterIdentifier),
				IAMAuth: aws.ToBool(d.IAMDatabaseAuthenticationEnabled), Tags: rdsTags(d.TagList)}
			if d.Endpoint != nil {
				o.EndpointAddress, o.EndpointPort = aws.ToString(d.Endpoint.Address), aws.ToInt32(d.Endpoint.Port)
			}
			if g := d.DBSubnetGroup; g != nil {
				o.SubnetGroup, o.VPCID = aws.ToString(g.DBSubnetGroupName), aws.ToString(g.VpcId)
				for _, sn := range g.Subnets {
					o.SubnetIDs = append(o.SubnetIDs, aws.ToString(sn.SubnetIdentifier))
				}
			}
			for _, g := range d.VpcSecurityGroups {
				o.SecurityGroupIDs = append(o.SecurityGroupIDs, aws.ToString(g.VpcSecurityGroupId))
			}
			rd.DBInstances = append(rd.DBInstances, o)
		}
	}

	cp := rds.NewDescribeDBClustersPaginator(c, &rds.DescribeDBClustersInput{})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			s.fail(ServiceRDS, region, err)
			break
		}
		for _, d := range page.DBClusters {
			o := inventory.DBCluster{ID: aws.ToString(d.DBClusterIdentifier), ARN: aws.ToString(d.DBClusterArn), Engine: aws.ToString(d.Engine),
				Status: aws.ToString(d.Status), PubliclyAccessible: aws.ToBool(d.PubliclyAccessible), StorageEncrypted: aws.ToBool(d.StorageEncrypted),
				KMSKeyID: aws.ToString(d.KmsKeyId), Endpoint: aws.ToString(d.Endpoint), Port: aws.ToInt32(d.Port), SubnetGroup: aws.ToString(d.DBSubnetGroup),
				IAMAuth: aws.ToBool(d.IAMDatabaseAuthenticationEnabled), Tags: rdsTags(d.TagList)}
			for _, g := range d.VpcSecurityGroups {
				o.SecurityGroupIDs = append(o.SecurityGroupIDs, aws.ToString(g.VpcSecurityGroupId))
			}
			for _, m := range d.DBClusterMembers {
				o.Members = append(o.Members, aws.ToString(m.DBInstanceIdentifier))
			}
			rd.DBClusters = append(rd.DBClusters, o)
		}
	}

	var snaps []inventory.DBSnapshot
	sp := rds.NewDescribeDBSnapshotsPaginator(c, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual")})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			s.fail(ServiceRDS, region, err)
			break
		}
		for _, d := range page.DBSnapshots {
			snaps = append(snaps, inventory.DBSnapshot{ID: aws.ToString(d.DBSnapshotIdentifier), ARN: aws.ToString(d.DBSnapshotArn),
				Source: aws.ToString(d.DBInstanceIdentifier), Encrypted: aws.ToBool(d.Encrypted), Tags: rdsTags(d.TagList)})
		}
	}
	csp := rds.NewDescribeDBClusterSnapshotsPaginator(c, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual")})
	for csp.HasMorePages() {
		page, err := csp.NextPage(ctx)
		if err != nil {
			s.fail(ServiceRDS, region, err)
			break
		}
		for _, d := range page.DBClusterSnapshots {
			snaps = append(snaps, inventory.DBSnapshot{ID: aws.ToString(d.DBClusterSnapshotIdentifier), ARN: aws.ToString(d.DBClusterSnapshotArn),
				Source: aws.ToString(d.DBClusterIdentifier), Cluster: true, Encrypted: aws.ToBool(d.StorageEncrypted), Tags: rdsTags(d.TagList)})
		}
	}
	forEach(ctx, len(snaps), s.opts.concurrency(), func(ctx context.Context, i int) {
		sn := &snaps[i]
		var attrs []rdstypes.DBSnapshotAttribute
		var err error
		if sn.Cluster {
			var out *rds.DescribeDBClusterSnapshotAttributesOutput
			out, err = c.DescribeDBClusterSnapshotAttributes(ctx, &rds.DescribeDBClusterSnapshotAttributesInput{DBClusterSnapshotIdentifier: aws.String(sn.ID)})
			if err == nil && out.DBClusterSnapshotAttributesResult != nil {
				for _, a := range out.DBClusterSnapshotAttributesResult.DBClusterSnapshotAttributes {
					attrs = append(attrs, rdstypes.DBSnapshotAttribute{AttributeName: a.AttributeName, AttributeValues: a.AttributeValues})
				}
			}
		} else {
			var out *rds.DescribeDBSnapshotAttributesOutput
			out, err = c.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: aws.String(sn.ID)})
			if err == nil && out.DBSnapshotAttributesResult != nil {
				attrs = out.DBSnapshotAttributesResult.DBSnapshotAttributes
			}
		}
		if err != nil {
			s.detail(ServiceRDS, "snapshot-permissions", region, sn.ARN, fmt.Errorf("%w", err))
			return
		}
		for _, a := range attrs {
			if aws.ToString(a.AttributeName) != "restore" {
				continue
			}
			for _, v := range a.AttributeValues {
				if v == "all" {
					sn.Public = true
				} else {
					sn.SharedWith = append(sn.SharedWith, v)
				}
			}
		}
	})
	rd.DBSnapshots = snaps
	return nil
}
