package resources

import (
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of public bucket access.
const (
	TechS3PublicACL    = "aws.s3.public-acl"
	TechS3PublicPolicy = "aws.s3.public-policy"
)

// ACL grantee groups that make a bucket public. AuthenticatedUsers means
// any AWS account, which is as good as anyone.
const (
	granteeAllUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
	granteeAuthUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// effectivePAB combines the bucket's and the account's Block Public Access
// settings: a setting is on when either level turns it on.
func effectivePAB(bucket, account *inventory.PublicAccessBlock) inventory.PublicAccessBlock {
	var out inventory.PublicAccessBlock
	for _, p := range []*inventory.PublicAccessBlock{bucket, account} {
		if p == nil {
			continue
		}
		out.BlockPublicACLs = out.BlockPublicACLs || p.BlockPublicACLs
		out.IgnorePublicACLs = out.IgnorePublicACLs || p.IgnorePublicACLs
		out.BlockPublicPolicy = out.BlockPublicPolicy || p.BlockPublicPolicy
		out.RestrictPublicBuckets = out.RestrictPublicBuckets || p.RestrictPublicBuckets
	}
	return out
}

func pabAllOn(p *inventory.PublicAccessBlock) bool {
	return p != nil && p.BlockPublicACLs && p.IgnorePublicACLs && p.BlockPublicPolicy && p.RestrictPublicBuckets
}

// buckets adds S3 buckets, the account's Block Public Access finding and
// anonymous access to public buckets. Public access by ACL and by bucket
// policy both live here, because Block Public Access (which only this
// package reads) decides whether either takes effect; the identity part
// evaluates named principals' access only.
func (b *builder) buckets() {
	s3Read := !b.inv.Coverage.FailedFor("s3", "")
	var accountPABFinding string
	if s3Read && !pabAllOn(b.inv.S3AccountPublicAccessBlock) && len(b.inv.S3) > 0 {
		accountPABFinding = b.flag(RuleS3AccountPAB, b.accountID(), defaultSeverity,
			fmt.Sprintf("account-level S3 Block Public Access: %s", describePAB(b.inv.S3AccountPublicAccessBlock)))
	}
	for i := range b.inv.S3 {
		b.bucket(&b.inv.S3[i], accountPABFinding)
	}
}

func describePAB(p *inventory.PublicAccessBlock) string {
	if p == nil {
		return "not configured"
	}
	return fmt.Sprintf("BlockPublicAcls=%t IgnorePublicAcls=%t BlockPublicPolicy=%t RestrictPublicBuckets=%t",
		p.BlockPublicACLs, p.IgnorePublicACLs, p.BlockPublicPolicy, p.RestrictPublicBuckets)
}

func (b *builder) bucketARN(name string) string { return "arn:" + b.partition + ":s3:::" + name }

func (b *builder) bucket(bk *inventory.Bucket, accountPABFinding string) {
	id := orARN(bk.ARN, b.bucketARN(bk.Name))
	n := b.resource(id, graph.KindBucket, "AWS::S3::Bucket", "s3", bk.Region, bk.Name, bk.Tags)
	n.Props["versioning"] = bk.Versioning
	n.Props["object_ownership"] = bk.ObjectOwnership
	var algs []string
	for _, e := range bk.Encryption {
		algs = append(algs, e.Algorithm)
		b.encryptedBy(id, bk.Region, e.KMSKeyID)
	}
	n.Props["encryption"] = algs
	n.Props["public_access_block"] = describePAB(bk.PublicAccessBlock)
	if len(bk.Errors) > 0 {
		n.Props["read_errors"] = bk.Errors
	}

	pabFindings := []string{}
	if accountPABFinding != "" {
		pabFindings = append(pabFindings, accountPABFinding)
	}
	if !pabAllOn(bk.PublicAccessBlock) {
		sev := graph.SeverityMedium
		if pabAllOn(b.inv.S3AccountPublicAccessBlock) {
			sev = graph.SeverityLow // the account setting already blocks public access
		}
		pabFindings = append(pabFindings, b.flag(RuleS3BucketPAB, id, sev, fmt.Sprintf("bucket %s Block Public Access: %s", bk.Name, describePAB(bk.PublicAccessBlock))))
	}
	pab := effectivePAB(bk.PublicAccessBlock, b.inv.S3AccountPublicAccessBlock)

	// ACL grants: ignored when ACLs are disabled (BucketOwnerEnforced) or
	// IgnorePublicAcls is on at either level.
	if !pab.IgnorePublicACLs && bk.ObjectOwnership != "BucketOwnerEnforced" {
		for _, g := range bk.ACL {
			if g.GranteeURI != granteeAllUsers && g.GranteeURI != granteeAuthUsers {
				continue
			}
			ev := fmt.Sprintf("bucket ACL grants %s to %s", g.Permission, g.GranteeURI)
			// Same mapping and technique as the identity part, so that the
			// transform merges both parts' moves into one edge.
			kind, rule := graph.EdgeReads, RuleS3PublicRead
			switch g.Permission {
			case "READ":
			case "WRITE":
				kind, rule = graph.EdgeWrites, RuleS3PublicWrite
			case "WRITE_ACP", "FULL_CONTROL":
				kind, rule = graph.EdgeAdministers, RuleS3PublicWrite
			default:
				continue
			}
			fid := b.flag(rule, id, defaultSeverity, ev)
			b.publicMove(id, kind, TechS3PublicACL, fid, ev)
			b.edgeFindings(AnonymousID, id, kind, TechS3PublicACL, pabFindings)
		}
	}

	// Bucket policy: RestrictPublicBuckets limits a public policy to AWS
	// service principals and the owner's account, so it is no longer public.
	if bk.Policy == "" || pab.RestrictPublicBuckets {
		return
	}
	pol, err := policy.Parse([]byte(bk.Policy))
	if err != nil {
		b.log.Debug("bucket policy does not parse; public access by policy unknown", "bucket", bk.Name, "err", err)
		return
	}
	pol.Label = "bucket-policy:" + bk.Name
	// Object actions are decided on the whole object space and on every key or prefix the
	// policy names: an anonymous grant on one object is a public bucket too.
	objects := policy.ObjectTargets(id, pol)
	for _, check := range []struct {
		kind      graph.EdgeKind
		rule      string
		action    string
		resources []string
	}{
		{graph.EdgeReads, RuleS3PublicRead, "s3:GetObject", objects},
		{graph.EdgeReads, RuleS3PublicRead, "s3:ListBucket", []string{id}},
		{graph.EdgeWrites, RuleS3PublicWrite, "s3:PutObject", objects},
	} {
		res, resource := anonymousDecision(b.account, pol, check.action, check.resources)
		if res.Decision != policy.Allowed && res.Decision != policy.Conditional {
			continue
		}
		ev := fmt.Sprintf("bucket policy allows anonymous %s on %s", check.action, resource)
		if res.Decision == policy.Conditional {
			// Public with a condition (aws:Referer, aws:SourceIp, ...): anyone who can meet it.
			ev += " if " + strings.Join(res.UnresolvedKeys, ", ") + " match"
		}
		fid := b.flag(check.rule, id, defaultSeverity, ev)
		e := b.edge(graph.Edge{From: AnonymousID, To: id, Kind: check.kind, Technique: TechS3PublicPolicy,
			Evidence: []string{ev}, Findings: append([]string{fid}, pabFindings...), Conditional: res.Decision == policy.Conditional})
		if res.Decision == policy.Allowed {
			e.Conditional = false // one unconditional grant makes the move unconditional
		}
		b.anonymousNode()
	}
}

// anonymousDecision is the best decision of a bucket policy for an anonymous caller from the
// Internet over the resources (an unconditional allow on any wins), and the resource it was made
// on. Such a caller never carries the VPC endpoint keys, so a grant that requires them is not public.
func anonymousDecision(account string, pol *policy.Policy, action string, resources []string) (policy.Result, string) {
	return anonymousDecisionIn(account, pol, action, resources, nil, vpcSourceKeys)
}

// anonymousDecisionIn is anonymousDecision with request context: known keys and keys known absent.
func anonymousDecisionIn(account string, pol *policy.Policy, action string, resources []string, ctx map[string][]string, absent []string) (policy.Result, string) {
	var best policy.Result
	bestResource := ""
	for _, r := range resources {
		res := policy.Evaluate(policy.Request{
			Principal: policy.Principal{Type: policy.TypeAnonymous},
			Action:    action, Resource: r, ResourceAccount: account, Context: ctx, AbsentKeys: absent,
		}, policy.PolicySet{Resource: pol})
		switch {
		case res.Decision == policy.Allowed:
			return res, r
		case bestResource == "" || (res.Decision == policy.Conditional && best.Decision != policy.Conditional):
			best, bestResource = res, r
		}
	}
	return best, bestResource
}

// edgeFindings adds findings to an existing edge.
func (b *builder) edgeFindings(from, to string, kind graph.EdgeKind, technique string, findings []string) {
	e := graph.Edge{From: from, To: to, Kind: kind, Technique: technique}
	if old, ok := b.edges[e.Key()]; ok {
		old.Findings = append(old.Findings, findings...)
	}
}
