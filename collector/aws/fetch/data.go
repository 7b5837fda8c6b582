package fetch

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectDynamoDB reads tables with encryption, tags and resource policy.
func (s *session) collectDynamoDB(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := dynamodb.NewFromConfig(s.cfg, func(o *dynamodb.Options) { o.Region = region })
	var names []string
	p := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		names = append(names, page.TableNames...)
	}
	out := make([]inventory.DynamoDBTable, len(names))
	forEach(ctx, len(names), s.opts.concurrency(), func(ctx context.Context, i int) {
		t := inventory.DynamoDBTable{Name: names[i]}
		d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(names[i])})
		if err != nil {
			// The table was listed, so it exists: keep it and say what is unknown.
			t.Errors = append(t.Errors, s.detail(ServiceDynamoDB, "describe", region, names[i], err))
			out[i] = t
			return
		}
		tb := d.Table
		t.ARN, t.Status, t.ItemCount = aws.ToString(tb.TableArn), string(tb.TableStatus), aws.ToInt64(tb.ItemCount)
		if sse := tb.SSEDescription; sse != nil {
			t.SSEType, t.SSEStatus, t.KMSKeyARN = string(sse.SSEType), string(sse.Status), aws.ToString(sse.KMSMasterKeyArn)
		}
		tags, err := c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: tb.TableArn})
		if err != nil {
			t.Errors = append(t.Errors, s.detail(ServiceDynamoDB, "tags", region, t.ARN, err))
		} else {
			t.Tags = tagMap(tags.Tags, func(t ddbtypes.Tag) (*string, *string) { return t.Key, t.Value })
		}
		pol, err := c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: tb.TableArn})
		switch {
		case err == nil:
			t.Policy = aws.ToString(pol.Policy)
		case !hasCode(err, "PolicyNotFoundException", "ResourceNotFoundException"):
			t.Errors = append(t.Errors, s.detail(ServiceDynamoDB, "policy", region, t.ARN, err))
		}
		out[i] = t
	})
	rd.Tables = out
	return nil
}

// collectKMS reads keys with their default key policy, aliases, rotation
// and tags. AWS managed keys are kept: their policies matter for who may
// decrypt, but rotation and tags are only read for customer keys.
func (s *session) collectKMS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := kms.NewFromConfig(s.cfg, func(o *kms.Options) { o.Region = region })
	var ids []string
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, k := range page.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
	}
	aliases := map[string][]string{}
	ap := kms.NewListAliasesPaginator(c, &kms.ListAliasesInput{})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			s.fail(ServiceKMS, region, err)
			break
		}
		for _, a := range page.Aliases {
			if a.TargetKeyId != nil {
				aliases[aws.ToString(a.TargetKeyId)] = append(aliases[aws.ToString(a.TargetKeyId)], aws.ToString(a.AliasName))
			}
		}
	}
	out := make([]inventory.KMSKey, len(ids))
	forEach(ctx, len(ids), s.opts.concurrency(), func(ctx context.Context, i int) {
		k := inventory.KMSKey{ID: ids[i], Aliases: aliases[ids[i]]}
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ids[i])})
		if err != nil {
			k.Errors = append(k.Errors, s.detail(ServiceKMS, "describe", region, ids[i], err))
			out[i] = k
			return
		}
		m := d.KeyMetadata
		k.ARN, k.Description, k.KeyManager, k.KeyState = aws.ToString(m.Arn), aws.ToString(m.Description), string(m.KeyManager), string(m.KeyState)
		k.KeyUsage, k.KeySpec, k.Enabled, k.CreationDate = string(m.KeyUsage), string(m.KeySpec), m.Enabled, timeOf(m.CreationDate)
		pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(ids[i]), PolicyName: aws.String("default")})
		if err != nil {
			k.Errors = append(k.Errors, s.detail(ServiceKMS, "policy", region, k.ARN, err))
		} else {
			k.Policy = aws.ToString(pol.Policy)
		}
		if m.KeyManager == kmstypes.KeyManagerTypeCustomer && m.KeyState != kmstypes.KeyStatePendingDeletion {
			rot, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(ids[i])})
			switch {
			case err == nil:
				k.RotationEnabled = aws.Bool(rot.KeyRotationEnabled)
			case !hasCode(err, "UnsupportedOperationException"): // asymmetric and HMAC keys cannot rotate
				k.Errors = append(k.Errors, s.detail(ServiceKMS, "rotation", region, k.ARN, err))
			}
			tags, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(ids[i])})
			if err != nil {
				k.Errors = append(k.Errors, s.detail(ServiceKMS, "tags", region, k.ARN, err))
			} else {
				k.Tags = tagMap(tags.Tags, func(t kmstypes.Tag) (*string, *string) { return t.TagKey, t.TagValue })
			}
		}
		out[i] = k
	})
	rd.KMSKeys = out
	return nil
}

// collectSQS reads queues with their policy and encryption.
func (s *session) collectSQS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := sqs.NewFromConfig(s.cfg, func(o *sqs.Options) { o.Region = region })
	var urls []string
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		urls = append(urls, page.QueueUrls...)
	}
	out := make([]inventory.Queue, len(urls))
	forEach(ctx, len(urls), s.opts.concurrency(), func(ctx context.Context, i int) {
		q := inventory.Queue{URL: urls[i], Name: lastSegment(urls[i])}
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[i]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			q.Errors = append(q.Errors, s.detail(ServiceSQS, "attributes", region, urls[i], err))
		} else {
			a := attrs.Attributes
			q.ARN, q.Policy, q.KMSMasterKeyID, q.SQSManagedSSE = a["QueueArn"], a["Policy"], a["KmsMasterKeyId"], a["SqsManagedSseEnabled"] == "true"
		}
		tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(urls[i])})
		if err != nil {
			q.Errors = append(q.Errors, s.detail(ServiceSQS, "tags", region, urls[i], err))
		} else if len(tags.Tags) > 0 {
			q.Tags = inventory.Tags(tags.Tags)
		}
		out[i] = q
	})
	rd.Queues = out
	return nil
}

// collectSNS reads topics with their policy and encryption.
func (s *session) collectSNS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := sns.NewFromConfig(s.cfg, func(o *sns.Options) { o.Region = region })
	var arns []string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, t := range page.Topics {
			arns = append(arns, aws.ToString(t.TopicArn))
		}
	}
	out := make([]inventory.Topic, len(arns))
	forEach(ctx, len(arns), s.opts.concurrency(), func(ctx context.Context, i int) {
		t := inventory.Topic{ARN: arns[i], Name: lastColonSegment(arns[i])}
		attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arns[i])})
		if err != nil {
			t.Errors = append(t.Errors, s.detail(ServiceSNS, "attributes", region, arns[i], err))
		} else {
			t.Policy, t.KMSMasterKeyID = attrs.Attributes["Policy"], attrs.Attributes["KmsMasterKeyId"]
		}
		tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arns[i])})
		if err != nil {
			t.Errors = append(t.Errors, s.detail(ServiceSNS, "tags", region, arns[i], err))
		} else {
			t.Tags = tagMap(tags.Tags, func(t snstypes.Tag) (*string, *string) { return t.Key, t.Value })
		}
		out[i] = t
	})
	rd.Topics = out
	return nil
}

// collectSecrets reads secret metadata and resource policies. It never
// calls GetSecretValue.
func (s *session) collectSecrets(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := secretsmanager.NewFromConfig(s.cfg, func(o *secretsmanager.Options) { o.Region = region })
	var secrets []inventory.Secret
	p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, e := range page.SecretList {
			secrets = append(secrets, inventory.Secret{ARN: aws.ToString(e.ARN), Name: aws.ToString(e.Name), Description: aws.ToString(e.Description),
				KMSKeyID: aws.ToString(e.KmsKeyId), RotationEnabled: aws.ToBool(e.RotationEnabled), LastChangedDate: timeOf(e.LastChangedDate),
				LastAccessedDate: timeOf(e.LastAccessedDate), Tags: tagMap(e.Tags, func(t smtypes.Tag) (*string, *string) { return t.Key, t.Value })})
		}
	}
	forEach(ctx, len(secrets), s.opts.concurrency(), func(ctx context.Context, i int) {
		pol, err := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(secrets[i].ARN)})
		if err != nil {
			secrets[i].Errors = append(secrets[i].Errors, s.detail(ServiceSecretsManager, "policy", region, secrets[i].ARN, err))
			return
		}
		secrets[i].Policy = aws.ToString(pol.ResourcePolicy)
	})
	rd.Secrets = secrets
	return nil
}

// collectECR reads repositories with their policy and tags.
func (s *session) collectECR(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := ecr.NewFromConfig(s.cfg, func(o *ecr.Options) { o.Region = region })
	var repos []inventory.Repository
	p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, r := range page.Repositories {
			o := inventory.Repository{Name: aws.ToString(r.RepositoryName), ARN: aws.ToString(r.RepositoryArn), URI: aws.ToString(r.RepositoryUri),
				ImageTagMutability: string(r.ImageTagMutability)}
			if r.ImageScanningConfiguration != nil {
				o.ScanOnPush = r.ImageScanningConfiguration.ScanOnPush
			}
			if r.EncryptionConfiguration != nil {
				o.EncryptionType = string(r.EncryptionConfiguration.EncryptionType)
			}
			repos = append(repos, o)
		}
	}
	forEach(ctx, len(repos), s.opts.concurrency(), func(ctx context.Context, i int) {
		r := &repos[i]
		pol, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(r.Name)})
		switch {
		case err == nil:
			r.Policy = aws.ToString(pol.PolicyText)
		case !hasCode(err, "RepositoryPolicyNotFoundException"):
			r.Errors = append(r.Errors, s.detail(ServiceECR, "policy", region, r.ARN, err))
		}
		tags, err := c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String(r.ARN)})
		if err != nil {
			r.Errors = append(r.Errors, s.detail(ServiceECR, "tags", region, r.ARN, err))
		} else {
			r.Tags = tagMap(tags.Tags, func(t ecrtypes.Tag) (*string, *string) { return t.Key, t.Value })
		}
	})
	rd.Repositories = repos
	return nil
}

func lastSegment(u string) string {
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == '/' {
			return u[i+1:]
		}
	}
	return u
}

func lastColonSegment(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == ':' {
			return arn[i+1:]
		}
	}
	return arn
}
