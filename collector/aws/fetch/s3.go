package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/credscan"
)

// collectS3 lists buckets and reads each bucket's access configuration
// from the bucket's own region.
func (s *session) collectS3(ctx context.Context) error {
	// The account setting first: it does not depend on the bucket listing.
	s.collectAccountPublicAccessBlock(ctx)
	// An emulator on one host cannot serve virtual-hosted bucket names.
	pathStyle := customEndpoint(s.cfg, &s.opts, sdkServiceS3) != ""
	client := s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.UsePathStyle = o.UsePathStyle || pathStyle })
	var buckets []s3types.Bucket
	p := s3.NewListBucketsPaginator(client, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		buckets = append(buckets, page.Buckets...)
	}
	out := make([]inventory.Bucket, len(buckets))
	budget := credscan.NewBudget(s.opts.ConfigScanLimits.WithDefaults().MaxTotalBytes)
	forEach(ctx, len(buckets), s.opts.concurrency(), func(ctx context.Context, i int) {
		out[i] = s.bucket(ctx, client, buckets[i])
		if s.opts.ScanConfigObjects {
			region := out[i].Region
			s.scanConfigObjects(ctx, client, &out[i], budget, func(o *s3.Options) {
				if region != "" {
					o.Region = region
				}
			})
		}
	})
	s.inv.S3 = out
	return nil
}

func (s *session) bucket(ctx context.Context, client *s3.Client, b s3types.Bucket) inventory.Bucket {
	name := aws.ToString(b.Name)
	bk := inventory.Bucket{Name: name, ARN: fmt.Sprintf("arn:%s:s3:::%s", s.inv.Partition, name), CreationDate: timeOf(b.CreationDate),
		Region: aws.ToString(b.BucketRegion)}
	fail := func(detail string, err error) {
		bk.Errors = append(bk.Errors, s.detail(ServiceS3, detail, "", bk.ARN, err))
	}
	if bk.Region == "" {
		loc, err := client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
		if err != nil {
			fail("location", err)
		} else {
			// An empty LocationConstraint is us-east-1; "EU" is the legacy eu-west-1.
			switch bk.Region = string(loc.LocationConstraint); bk.Region {
			case "":
				bk.Region = "us-east-1"
			case "EU":
				bk.Region = "eu-west-1"
			}
		}
	}
	inRegion := func(o *s3.Options) {
		if bk.Region != "" {
			o.Region = bk.Region
		}
	}
	bn := aws.String(name)

	pol, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bn}, inRegion)
	switch {
	case err == nil:
		bk.Policy = aws.ToString(pol.Policy)
	case !hasCode(err, "NoSuchBucketPolicy"):
		fail("policy", err)
	}

	acl, err := client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bn}, inRegion)
	if err != nil {
		fail("acl", err)
	} else {
		if acl.Owner != nil {
			bk.Owner = aws.ToString(acl.Owner.ID)
		}
		bk.ACL = grants(acl.Grants)
	}

	pab, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bn}, inRegion)
	switch {
	case err == nil && pab.PublicAccessBlockConfiguration != nil:
		c := pab.PublicAccessBlockConfiguration
		bk.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: aws.ToBool(c.BlockPublicAcls), IgnorePublicACLs: aws.ToBool(c.IgnorePublicAcls),
			BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets)}
	case err != nil && !hasCode(err, "NoSuchPublicAccessBlockConfiguration"):
		fail("public-access-block", err)
	}

	own, err := client.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: bn}, inRegion)
	switch {
	case err == nil && own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0:
		bk.ObjectOwnership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
	case err != nil && !hasCode(err, "OwnershipControlsNotFoundError"):
		fail("ownership-controls", err)
	}

	enc, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bn}, inRegion)
	switch {
	case err == nil && enc.ServerSideEncryptionConfiguration != nil:
		for _, r := range enc.ServerSideEncryptionConfiguration.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil {
				bk.Encryption = append(bk.Encryption, inventory.BucketEncryption{Algorithm: string(d.SSEAlgorithm),
					KMSKeyID: aws.ToString(d.KMSMasterKeyID), BucketKeyEnabled: aws.ToBool(r.BucketKeyEnabled)})
			}
		}
	case err != nil && !hasCode(err, "ServerSideEncryptionConfigurationNotFoundError"):
		fail("encryption", err)
	}

	ver, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bn}, inRegion)
	if err != nil {
		fail("versioning", err)
	} else {
		bk.Versioning, bk.MFADelete = string(ver.Status), string(ver.MFADelete)
	}

	tags, err := client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bn}, inRegion)
	switch {
	case err == nil:
		bk.Tags = tagMap(tags.TagSet, func(t s3types.Tag) (*string, *string) { return t.Key, t.Value })
	case !hasCode(err, "NoSuchTagSet", "NoSuchTagSetError"):
		fail("tags", err)
	}
	// Whether the tags take part in access decisions (ABAC, off by default). A read that fails
	// (an S3 implementation without the call, a partition without the feature) leaves the status
	// unknown, which the identity part treats as such: tag conditions on the bucket stay
	// conditional. It is not a coverage failure.
	abac, err := client.GetBucketAbac(ctx, &s3.GetBucketAbacInput{Bucket: bn}, inRegion)
	if err == nil && abac.AbacStatus != nil {
		bk.ABAC = string(abac.AbacStatus.Status)
	} else if err != nil {
		s.log.Debug("bucket ABAC status not read", "bucket", name, "reason", reason(err))
	}
	return bk
}

// grants converts an S3 access control list (bucket or object).
func grants(in []s3types.Grant) []inventory.Grant {
	out := make([]inventory.Grant, 0, len(in))
	for _, g := range in {
		gr := inventory.Grant{Permission: string(g.Permission)}
		if g.Grantee != nil {
			gr.GranteeType, gr.GranteeID, gr.GranteeURI = string(g.Grantee.Type), aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI)
			if gr.GranteeID == "" {
				gr.GranteeID = aws.ToString(g.Grantee.EmailAddress)
			}
		}
		out = append(out, gr)
	}
	return out
}
