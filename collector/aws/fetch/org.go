package fetch

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectOrg reads the organization when the account belongs to one and may
// read it. An account outside any organization leaves Org nil and the area
// read; a member account without access records the area as failed.
func (s *session) collectOrg(ctx context.Context) error {
	client := organizations.NewFromConfig(s.cfg)
	desc, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if hasCode(err, "AWSOrganizationsNotInUseException") {
		return nil
	}
	if err != nil {
		return err
	}
	o := desc.Organization
	org := &inventory.OrgData{ID: aws.ToString(o.Id), ARN: aws.ToString(o.Arn),
		ManagementAccountID: aws.ToString(o.MasterAccountId), FeatureSet: string(o.FeatureSet)}

	rp := organizations.NewListRootsPaginator(client, &organizations.ListRootsInput{})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, r := range page.Roots {
			root := inventory.OrgRoot{ID: aws.ToString(r.Id), ARN: aws.ToString(r.Arn), Name: aws.ToString(r.Name)}
			for _, pt := range r.PolicyTypes {
				if pt.Status == orgtypes.PolicyTypeStatusEnabled {
					root.PolicyTypes = append(root.PolicyTypes, string(pt.Type))
				}
			}
			org.Roots = append(org.Roots, root)
		}
	}

	// Walk the tree breadth-first: each parent's OUs and accounts.
	parents := []string{}
	for _, r := range org.Roots {
		parents = append(parents, r.ID)
	}
	for len(parents) > 0 {
		parent := parents[0]
		parents = parents[1:]
		op := organizations.NewListOrganizationalUnitsForParentPaginator(client, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, ou := range page.OrganizationalUnits {
				org.OrganizationalUnits = append(org.OrganizationalUnits, inventory.OrgUnit{ID: aws.ToString(ou.Id), ARN: aws.ToString(ou.Arn), Name: aws.ToString(ou.Name), ParentID: parent})
				parents = append(parents, aws.ToString(ou.Id))
			}
		}
		ap := organizations.NewListAccountsForParentPaginator(client, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, a := range page.Accounts {
				org.Accounts = append(org.Accounts, inventory.OrgAccount{ID: aws.ToString(a.Id), ARN: aws.ToString(a.Arn), Name: aws.ToString(a.Name),
					Email: aws.ToString(a.Email), Status: string(a.Status), JoinedTime: timeOf(a.JoinedTimestamp), ParentID: parent})
			}
		}
	}

	enabled := map[string]bool{}
	for _, r := range org.Roots {
		for _, t := range r.PolicyTypes {
			enabled[t] = true
		}
	}
	for _, typ := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		// A policy type that is not enabled applies nothing; listing it
		// would only fail.
		if !enabled[string(typ)] {
			continue
		}
		pp := organizations.NewListPoliciesPaginator(client, &organizations.ListPoliciesInput{Filter: typ})
		for pp.HasMorePages() {
			page, err := pp.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, ps := range page.Policies {
				pol := inventory.OrgPolicy{ID: aws.ToString(ps.Id), ARN: aws.ToString(ps.Arn), Name: aws.ToString(ps.Name), Type: string(typ),
					AWSManaged: ps.AwsManaged, Description: aws.ToString(ps.Description), Targets: []string{}}
				d, err := client.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: ps.Id})
				if err != nil {
					return err
				}
				pol.Document = aws.ToString(d.Policy.Content)
				tp := organizations.NewListTargetsForPolicyPaginator(client, &organizations.ListTargetsForPolicyInput{PolicyId: ps.Id})
				for tp.HasMorePages() {
					tpage, err := tp.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, t := range tpage.Targets {
						pol.Targets = append(pol.Targets, aws.ToString(t.TargetId))
					}
				}
				org.Policies = append(org.Policies, pol)
			}
		}
	}
	s.inv.Org = org
	return nil
}
