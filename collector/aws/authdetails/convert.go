package authdetails

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// Load parses a get-account-authorization-details JSON document and converts
// it to inventory.IAMData.
func Load(r io.Reader) (inventory.IAMData, error) {
	d, err := Parse(r)
	if err != nil {
		return inventory.IAMData{}, err
	}
	return d.IAMData()
}

// IAMData converts the details to the inventory form: decoded policy
// documents, default policy versions, instance profiles gathered from roles,
// and every list sorted by ARN so the result is deterministic. It fills
// users, groups, roles, managed policies and instance profiles; the live
// collector adds what authorization details do not carry (access keys, MFA,
// login profiles, credential report, password policy).
func (d *Details) IAMData() (inventory.IAMData, error) {
	var out inventory.IAMData
	profiles := map[string]*inventory.InstanceProfile{}

	for _, u := range d.UserDetailList {
		if u.Arn == "" {
			return out, fmt.Errorf("user %q: no Arn", u.UserName)
		}
		inline, err := inlinePolicies(u.UserPolicyList)
		if err != nil {
			return out, fmt.Errorf("user %s: %w", u.Arn, err)
		}
		out.Users = append(out.Users, inventory.User{
			ARN: u.Arn, ID: u.UserID, Name: u.UserName, Path: u.Path, CreateDate: u.CreateDate.Time,
			Tags: tags(u.Tags), InlinePolicies: inline, AttachedPolicies: attached(u.AttachedManagedPolicies),
			Groups: sortedCopy(u.GroupList), PermissionBoundary: boundary(u.PermissionsBoundary),
		})
	}
	for _, g := range d.GroupDetailList {
		if g.Arn == "" {
			return out, fmt.Errorf("group %q: no Arn", g.GroupName)
		}
		inline, err := inlinePolicies(g.GroupPolicyList)
		if err != nil {
			return out, fmt.Errorf("group %s: %w", g.Arn, err)
		}
		out.Groups = append(out.Groups, inventory.Group{
			ARN: g.Arn, ID: g.GroupID, Name: g.GroupName, Path: g.Path, CreateDate: g.CreateDate.Time,
			InlinePolicies: inline, AttachedPolicies: attached(g.AttachedManagedPolicies),
		})
	}
	for _, r := range d.RoleDetailList {
		if r.Arn == "" {
			return out, fmt.Errorf("role %q: no Arn", r.RoleName)
		}
		trust, err := r.AssumeRolePolicyDocument.Text()
		if err != nil {
			return out, fmt.Errorf("role %s trust policy: %w", r.Arn, err)
		}
		inline, err := inlinePolicies(r.RolePolicyList)
		if err != nil {
			return out, fmt.Errorf("role %s: %w", r.Arn, err)
		}
		role := inventory.Role{
			ARN: r.Arn, ID: r.RoleID, Name: r.RoleName, Path: r.Path, CreateDate: r.CreateDate.Time,
			TrustPolicy: trust, InlinePolicies: inline, AttachedPolicies: attached(r.AttachedManagedPolicies),
			PermissionBoundary: boundary(r.PermissionsBoundary), Tags: tags(r.Tags),
			MaxSessionDuration: r.MaxSessionDuration,
			ServiceLinked:      strings.HasPrefix(r.Path, "/aws-service-role/"),
		}
		if r.RoleLastUsed != nil {
			role.LastUsedDate, role.LastUsedRegion = r.RoleLastUsed.LastUsedDate.Time, r.RoleLastUsed.Region
		}
		for _, ip := range r.InstanceProfileList {
			if ip.Arn == "" {
				return out, fmt.Errorf("role %s: instance profile %q has no Arn", r.Arn, ip.InstanceProfileName)
			}
			role.InstanceProfiles = append(role.InstanceProfiles, ip.Arn)
			p := profiles[ip.Arn]
			if p == nil {
				p = &inventory.InstanceProfile{
					ARN: ip.Arn, ID: ip.InstanceProfileID, Name: ip.InstanceProfileName, Path: ip.Path,
					CreateDate: ip.CreateDate.Time, Tags: tags(ip.Tags),
				}
				profiles[ip.Arn] = p
			}
			// The profile lists its roles; the role holding it is one of
			// them even when an exporter trimmed the nested list.
			for _, rr := range ip.Roles {
				p.Roles = appendUnique(p.Roles, rr.Arn)
			}
			p.Roles = appendUnique(p.Roles, r.Arn)
		}
		slices.Sort(role.InstanceProfiles)
		role.InstanceProfiles = slices.Compact(role.InstanceProfiles)
		out.Roles = append(out.Roles, role)
	}
	for _, p := range d.Policies {
		mp, err := managedPolicy(p)
		if err != nil {
			return out, err
		}
		out.Policies = append(out.Policies, mp)
	}
	for _, p := range profiles {
		slices.Sort(p.Roles)
		out.InstanceProfiles = append(out.InstanceProfiles, *p)
	}

	slices.SortFunc(out.Users, func(a, b inventory.User) int { return cmp.Compare(a.ARN, b.ARN) })
	slices.SortFunc(out.Groups, func(a, b inventory.Group) int { return cmp.Compare(a.ARN, b.ARN) })
	slices.SortFunc(out.Roles, func(a, b inventory.Role) int { return cmp.Compare(a.ARN, b.ARN) })
	slices.SortFunc(out.Policies, func(a, b inventory.ManagedPolicy) int { return cmp.Compare(a.ARN, b.ARN) })
	slices.SortFunc(out.InstanceProfiles, func(a, b inventory.InstanceProfile) int { return cmp.Compare(a.ARN, b.ARN) })
	return out, nil
}

func managedPolicy(p PolicyDetail) (inventory.ManagedPolicy, error) {
	if p.Arn == "" {
		return inventory.ManagedPolicy{}, fmt.Errorf("policy %q: no Arn", p.PolicyName)
	}
	name := p.PolicyName
	if name == "" {
		// Some emulators omit PolicyName; the ARN's last segment is the name.
		name = p.Arn[strings.LastIndex(p.Arn, "/")+1:]
	}
	mp := inventory.ManagedPolicy{
		ARN: p.Arn, ID: p.PolicyID, Name: name, Path: p.Path, DefaultVersionID: p.DefaultVersionID,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount,
		IsAttachable: p.IsAttachable, AWSManaged: IsAWSManaged(p.Arn),
		CreateDate: p.CreateDate.Time, UpdateDate: p.UpdateDate.Time,
	}
	// The default version is the one flagged IsDefaultVersion; the
	// DefaultVersionId field is the fallback for exporters that drop the flag.
	var def *PolicyVersion
	for i := range p.PolicyVersionList {
		v := &p.PolicyVersionList[i]
		if v.IsDefaultVersion || (def == nil && v.VersionID == p.DefaultVersionID && p.DefaultVersionID != "") {
			def = v
			if v.IsDefaultVersion {
				break
			}
		}
	}
	if def == nil {
		return mp, fmt.Errorf("policy %s: no default version in PolicyVersionList", p.Arn)
	}
	doc, err := def.Document.Text()
	if err != nil {
		return mp, fmt.Errorf("policy %s version %s: %w", p.Arn, def.VersionID, err)
	}
	if doc == "" {
		return mp, fmt.Errorf("policy %s version %s: empty document", p.Arn, def.VersionID)
	}
	mp.Document = doc
	if mp.DefaultVersionID == "" {
		mp.DefaultVersionID = def.VersionID
	}
	if !mp.AWSManaged {
		for i := range p.PolicyVersionList {
			v := &p.PolicyVersionList[i]
			if v == def {
				continue
			}
			text, err := v.Document.Text()
			if err != nil {
				return mp, fmt.Errorf("policy %s version %s: %w", p.Arn, v.VersionID, err)
			}
			mp.OtherVersions = append(mp.OtherVersions, inventory.PolicyVersion{ID: v.VersionID, Document: text, CreateDate: v.CreateDate.Time})
		}
		slices.SortFunc(mp.OtherVersions, func(a, b inventory.PolicyVersion) int { return cmp.Compare(a.ID, b.ID) })
	}
	return mp, nil
}

// IsAWSManaged reports whether a policy ARN names an AWS managed policy
// (account field "aws"), in any partition.
func IsAWSManaged(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && parts[2] == "iam" && parts[4] == "aws"
}

func inlinePolicies(in []InlinePolicy) ([]inventory.InlinePolicy, error) {
	var out []inventory.InlinePolicy
	for _, p := range in {
		doc, err := p.PolicyDocument.Text()
		if err != nil {
			return nil, fmt.Errorf("inline policy %q: %w", p.PolicyName, err)
		}
		out = append(out, inventory.InlinePolicy{Name: p.PolicyName, Document: doc})
	}
	slices.SortFunc(out, func(a, b inventory.InlinePolicy) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func attached(in []AttachedPolicy) []inventory.AttachedPolicy {
	var out []inventory.AttachedPolicy
	for _, p := range in {
		out = append(out, inventory.AttachedPolicy{ARN: p.PolicyArn, Name: p.PolicyName})
	}
	slices.SortFunc(out, func(a, b inventory.AttachedPolicy) int { return cmp.Compare(a.ARN, b.ARN) })
	return out
}

func boundary(b *PermissionsBoundary) string {
	if b == nil {
		return ""
	}
	return b.PermissionsBoundaryArn
}

func tags(in []Tag) inventory.Tags {
	if len(in) == 0 {
		return nil
	}
	out := make(inventory.Tags, len(in))
	for _, t := range in {
		out[t.Key] = t.Value
	}
	return out
}

func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

func appendUnique(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// AddPage appends one page of an SDK GetAccountAuthorizationDetails response,
// keeping the documents URL-encoded as the API returns them so that IAMData
// decodes live and offline input the same way.
func (d *Details) AddPage(page *iam.GetAccountAuthorizationDetailsOutput) {
	for _, u := range page.UserDetailList {
		d.UserDetailList = append(d.UserDetailList, UserDetail{
			Path: aws.ToString(u.Path), UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId),
			Arn: aws.ToString(u.Arn), CreateDate: sdkTime(u.CreateDate), UserPolicyList: sdkInline(u.UserPolicyList),
			GroupList: u.GroupList, AttachedManagedPolicies: sdkAttached(u.AttachedManagedPolicies),
			PermissionsBoundary: sdkBoundary(u.PermissionsBoundary), Tags: sdkTags(u.Tags),
		})
	}
	for _, g := range page.GroupDetailList {
		d.GroupDetailList = append(d.GroupDetailList, GroupDetail{
			Path: aws.ToString(g.Path), GroupName: aws.ToString(g.GroupName), GroupID: aws.ToString(g.GroupId),
			Arn: aws.ToString(g.Arn), CreateDate: sdkTime(g.CreateDate), GroupPolicyList: sdkInline(g.GroupPolicyList),
			AttachedManagedPolicies: sdkAttached(g.AttachedManagedPolicies),
		})
	}
	for _, r := range page.RoleDetailList {
		rd := RoleDetail{
			Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId),
			Arn: aws.ToString(r.Arn), CreateDate: sdkTime(r.CreateDate),
			AssumeRolePolicyDocument: EncodedDocument(aws.ToString(r.AssumeRolePolicyDocument)),
			RolePolicyList:           sdkInline(r.RolePolicyList), AttachedManagedPolicies: sdkAttached(r.AttachedManagedPolicies),
			PermissionsBoundary: sdkBoundary(r.PermissionsBoundary), Tags: sdkTags(r.Tags),
		}
		if r.RoleLastUsed != nil {
			rd.RoleLastUsed = &RoleLastUsed{LastUsedDate: sdkTime(r.RoleLastUsed.LastUsedDate), Region: aws.ToString(r.RoleLastUsed.Region)}
		}
		for _, ip := range r.InstanceProfileList {
			p := InstanceProfile{
				Path: aws.ToString(ip.Path), InstanceProfileName: aws.ToString(ip.InstanceProfileName),
				InstanceProfileID: aws.ToString(ip.InstanceProfileId), Arn: aws.ToString(ip.Arn),
				CreateDate: sdkTime(ip.CreateDate), Tags: sdkTags(ip.Tags),
			}
			for _, rr := range ip.Roles {
				p.Roles = append(p.Roles, RoleRef{Arn: aws.ToString(rr.Arn)})
			}
			rd.InstanceProfileList = append(rd.InstanceProfileList, p)
		}
		d.RoleDetailList = append(d.RoleDetailList, rd)
	}
	for _, p := range page.Policies {
		pd := PolicyDetail{
			PolicyName: aws.ToString(p.PolicyName), PolicyID: aws.ToString(p.PolicyId), Arn: aws.ToString(p.Arn),
			Path: aws.ToString(p.Path), DefaultVersionID: aws.ToString(p.DefaultVersionId),
			AttachmentCount: aws.ToInt32(p.AttachmentCount), PermissionsBoundaryUsageCount: aws.ToInt32(p.PermissionsBoundaryUsageCount),
			IsAttachable: p.IsAttachable, CreateDate: sdkTime(p.CreateDate), UpdateDate: sdkTime(p.UpdateDate),
		}
		for _, v := range p.PolicyVersionList {
			pd.PolicyVersionList = append(pd.PolicyVersionList, PolicyVersion{
				Document: EncodedDocument(aws.ToString(v.Document)), VersionID: aws.ToString(v.VersionId),
				IsDefaultVersion: v.IsDefaultVersion, CreateDate: sdkTime(v.CreateDate),
			})
		}
		d.Policies = append(d.Policies, pd)
	}
}

func sdkTime(t *time.Time) Time {
	if t == nil {
		return Time{}
	}
	return Time{t.UTC()}
}

func sdkInline(in []iamtypes.PolicyDetail) []InlinePolicy {
	var out []InlinePolicy
	for _, p := range in {
		out = append(out, InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: EncodedDocument(aws.ToString(p.PolicyDocument))})
	}
	return out
}

func sdkAttached(in []iamtypes.AttachedPolicy) []AttachedPolicy {
	var out []AttachedPolicy
	for _, p := range in {
		out = append(out, AttachedPolicy{PolicyName: aws.ToString(p.PolicyName), PolicyArn: aws.ToString(p.PolicyArn)})
	}
	return out
}

func sdkBoundary(b *iamtypes.AttachedPermissionsBoundary) *PermissionsBoundary {
	if b == nil || aws.ToString(b.PermissionsBoundaryArn) == "" {
		return nil
	}
	return &PermissionsBoundary{PermissionsBoundaryType: string(b.PermissionsBoundaryType), PermissionsBoundaryArn: aws.ToString(b.PermissionsBoundaryArn)}
}

func sdkTags(in []iamtypes.Tag) []Tag {
	var out []Tag
	for _, t := range in {
		out = append(out, Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return out
}
