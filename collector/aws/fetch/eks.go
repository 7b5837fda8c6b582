package fetch

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// AreaEKSKubernetes is the area a failed read of a cluster's Kubernetes
// API (or of its kubectl export) is recorded as: the EKS workload nodes
// carry it (resources.ServiceEKSKubernetes), so the store keeps them stale.
const AreaEKSKubernetes = ServiceEKS + "/kubernetes"

// collectEKS reads clusters with their endpoint exposure and role, node
// groups, access entries with their access policies, Pod Identity
// associations and, with Options.Kubernetes, the cluster's Kubernetes
// objects (kubernetes.go). A cluster whose details fail keeps the error on
// the cluster; only ListClusters failing fails the area outright.
func (s *session) collectEKS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := eks.NewFromConfig(s.cfg, func(o *eks.Options) { o.Region = region })
	var names []string
	p := eks.NewListClustersPaginator(c, &eks.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		names = append(names, page.Clusters...)
	}
	out := make([]inventory.EKSCluster, len(names))
	forEach(ctx, len(names), s.opts.concurrency(), func(ctx context.Context, i int) {
		o := inventory.EKSCluster{Name: names[i]}
		fail := func(what string, err error) {
			o.Errors = append(o.Errors, s.detail(ServiceEKS, what, region, names[i], err))
		}
		d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(names[i])})
		if err != nil {
			fail("describe", err)
			out[i] = o
			return
		}
		cl := d.Cluster
		o.ARN, o.Version, o.Status, o.RoleARN, o.Endpoint = aws.ToString(cl.Arn), aws.ToString(cl.Version), string(cl.Status), aws.ToString(cl.RoleArn), aws.ToString(cl.Endpoint)
		if v := cl.ResourcesVpcConfig; v != nil {
			o.EndpointPublicAccess, o.EndpointPrivateAccess = v.EndpointPublicAccess, v.EndpointPrivateAccess
			o.PublicAccessCIDRs, o.VPCID, o.SubnetIDs = v.PublicAccessCidrs, aws.ToString(v.VpcId), v.SubnetIds
			o.SecurityGroupIDs = v.SecurityGroupIds
			if id := aws.ToString(v.ClusterSecurityGroupId); id != "" && !slices.Contains(o.SecurityGroupIDs, id) {
				o.SecurityGroupIDs = append(slices.Clone(o.SecurityGroupIDs), id)
			}
		}
		if cl.Identity != nil && cl.Identity.Oidc != nil {
			o.OIDCIssuer = aws.ToString(cl.Identity.Oidc.Issuer)
		}
		if cl.AccessConfig != nil {
			o.AuthenticationMode = string(cl.AccessConfig.AuthenticationMode)
		}
		if len(cl.Tags) > 0 {
			o.Tags = inventory.Tags(cl.Tags)
		}
		if err := eksNodeGroups(ctx, c, &o); err != nil {
			fail("nodegroups", err)
		}
		// Access entries and Pod Identity are newer than some endpoints
		// (emulators): an endpoint that does not offer the operation is
		// recorded as unavailable, not as a failure.
		if o.AuthenticationMode != "CONFIG_MAP" {
			if err := eksAccessEntries(ctx, c, &o); unavailable(err) {
				o.Unavailable = append(o.Unavailable, "access-entries")
			} else if err != nil {
				fail("access-entries", err)
			}
		}
		if err := eksPodIdentities(ctx, c, &o); unavailable(err) {
			o.Unavailable = append(o.Unavailable, "pod-identity")
		} else if err != nil {
			fail("pod-identity", err)
		}
		if exports, ok := s.opts.KubeExports[o.Name]; ok {
			ks := &inventory.KubeState{}
			for _, data := range exports {
				if err := ParseKubeExport(data, ks); err != nil {
					ks.Errors = append(ks.Errors, "export: "+err.Error())
					fail("kubernetes", fmt.Errorf("kubectl export: %w", err))
				}
			}
			o.Kubernetes = ks
		} else if s.opts.Kubernetes {
			var ca string
			if cl.CertificateAuthority != nil {
				ca = aws.ToString(cl.CertificateAuthority.Data)
			}
			ks, err := s.readKubernetes(ctx, region, &o, ca)
			if err != nil {
				fail("kubernetes", err)
			}
			o.Kubernetes = ks
		}
		out[i] = o
	})
	rd.EKSClusters = out
	return nil
}

func eksNodeGroups(ctx context.Context, c *eks.Client, o *inventory.EKSCluster) error {
	p := eks.NewListNodegroupsPaginator(c, &eks.ListNodegroupsInput{ClusterName: aws.String(o.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListNodegroups: %w", err)
		}
		for _, name := range page.Nodegroups {
			d, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(o.Name), NodegroupName: aws.String(name)})
			if err != nil {
				return fmt.Errorf("DescribeNodegroup %s: %w", name, err)
			}
			ng := d.Nodegroup
			g := inventory.EKSNodeGroup{Name: name, ARN: aws.ToString(ng.NodegroupArn), NodeRoleARN: aws.ToString(ng.NodeRole),
				Status: string(ng.Status), SubnetIDs: ng.Subnets}
			if ng.Resources != nil {
				for _, a := range ng.Resources.AutoScalingGroups {
					g.AutoScalingGroups = append(g.AutoScalingGroups, aws.ToString(a.Name))
				}
			}
			o.NodeGroups = append(o.NodeGroups, g)
		}
	}
	return nil
}

func eksAccessEntries(ctx context.Context, c *eks.Client, o *inventory.EKSCluster) error {
	p := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: aws.String(o.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListAccessEntries: %w", err)
		}
		for _, arn := range page.AccessEntries {
			d, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(o.Name), PrincipalArn: aws.String(arn)})
			if err != nil {
				return fmt.Errorf("DescribeAccessEntry %s: %w", arn, err)
			}
			e := inventory.EKSAccessEntry{PrincipalARN: arn}
			if a := d.AccessEntry; a != nil {
				e.Type, e.Username, e.KubernetesGroups = aws.ToString(a.Type), aws.ToString(a.Username), a.KubernetesGroups
			}
			pp := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(o.Name), PrincipalArn: aws.String(arn)})
			for pp.HasMorePages() {
				pol, err := pp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("ListAssociatedAccessPolicies %s: %w", arn, err)
				}
				for _, ap := range pol.AssociatedAccessPolicies {
					x := inventory.EKSAccessPolicy{PolicyARN: aws.ToString(ap.PolicyArn)}
					if sc := ap.AccessScope; sc != nil {
						x.ScopeType, x.Namespaces = string(sc.Type), sc.Namespaces
					}
					e.Policies = append(e.Policies, x)
				}
			}
			o.AccessEntries = append(o.AccessEntries, e)
		}
	}
	return nil
}

func eksPodIdentities(ctx context.Context, c *eks.Client, o *inventory.EKSCluster) error {
	p := eks.NewListPodIdentityAssociationsPaginator(c, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(o.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListPodIdentityAssociations: %w", err)
		}
		for _, a := range page.Associations {
			d, err := c.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String(o.Name), AssociationId: a.AssociationId})
			if err != nil {
				return fmt.Errorf("DescribePodIdentityAssociation %s: %w", aws.ToString(a.AssociationId), err)
			}
			pi := inventory.EKSPodIdentity{AssociationARN: aws.ToString(a.AssociationArn), Namespace: aws.ToString(a.Namespace), ServiceAccount: aws.ToString(a.ServiceAccount)}
			if x := d.Association; x != nil {
				pi.RoleARN = aws.ToString(x.RoleArn)
			}
			o.PodIdentities = append(o.PodIdentities, pi)
		}
	}
	return nil
}

// unavailable reports whether err says the endpoint does not offer the
// operation at all (serviceNotEnabled's rule).
func unavailable(err error) bool { return err != nil && serviceNotEnabled(err) }
