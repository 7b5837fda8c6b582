package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticbeanstalk"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// Configuration that commonly holds credentials: user data, parameters,
// build and Beanstalk environment settings. Every value read here is
// scanned for credentials (credscan.go) and dropped; only the findings
// (location, kind, key id or endpoint, salted fingerprint) are kept.

// maxUserData bounds the user data scanned per instance (AWS allows 16 KB
// base64; gzip-compressed user data is expanded up to this size).
const maxUserData = 256 << 10

// userData reads each instance's user data and scans it. A failed read is
// a detail of the ec2 area: the instance is known, its user data is not.
func (s *session) userData(ctx context.Context, c *ec2.Client, region string, rd *inventory.RegionData) {
	forEach(ctx, len(rd.Instances), s.opts.concurrency(), func(ctx context.Context, i int) {
		in := &rd.Instances[i]
		if in.State == "terminated" || in.State == "shutting-down" {
			return
		}
		out, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(in.ID),
			Attribute: ec2types.InstanceAttributeNameUserData})
		if err != nil {
			in.Errors = append(in.Errors, s.detail(ServiceEC2, "user-data", region, in.ID, err))
			return
		}
		if out.UserData == nil || aws.ToString(out.UserData.Value) == "" {
			return
		}
		text, err := decodeUserData(aws.ToString(out.UserData.Value))
		if err != nil {
			in.Errors = append(in.Errors, "user-data: "+err.Error())
			return
		}
		cs := credentialScan{salt: s.salt}
		cs.add("user-data", "", text)
		in.Credentials = cs.result()
	})
}

// decodeUserData decodes base64 user data, expanding gzip (cloud-init
// accepts compressed user data).
func decodeUserData(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("decode user data: %w", err)
	}
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return "", fmt.Errorf("decompress user data: %w", err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, maxUserData))
		if err != nil {
			return "", fmt.Errorf("decompress user data: %w", err)
		}
	}
	if len(raw) > maxUserData {
		raw = raw[:maxUserData]
	}
	return string(raw), nil
}

// ssmBatch is GetParameters' limit on names per call.
const ssmBatch = 10

// collectSSM lists Parameter Store parameters and scans the values of
// String and StringList parameters. SecureString values are never
// requested (WithDecryption is never set, and they are not fetched at all).
func (s *session) collectSSM(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := ssm.NewFromConfig(s.cfg, func(o *ssm.Options) { o.Region = region })
	var params []inventory.SSMParameter
	p := ssm.NewDescribeParametersPaginator(c, &ssm.DescribeParametersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, m := range page.Parameters {
			name := aws.ToString(m.Name)
			arn := aws.ToString(m.ARN)
			if arn == "" {
				arn = fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", s.inv.Partition, region, s.inv.AccountID, trimSlash(name))
			}
			params = append(params, inventory.SSMParameter{Name: name, ARN: arn, Type: string(m.Type), KMSKeyID: aws.ToString(m.KeyId)})
		}
	}
	var plain []int
	for i := range params {
		if params[i].Type != string(ssmtypes.ParameterTypeSecureString) {
			plain = append(plain, i)
		}
	}
	for start := 0; start < len(plain); start += ssmBatch {
		batch := plain[start:min(start+ssmBatch, len(plain))]
		names := make([]string, len(batch))
		byName := map[string]int{}
		for j, i := range batch {
			names[j] = params[i].Name
			byName[params[i].Name] = i
		}
		out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(false)})
		if err != nil {
			for _, i := range batch {
				params[i].Errors = append(params[i].Errors, s.detail(ServiceSSM, "values", region, params[i].Name, err))
			}
			continue
		}
		for _, v := range out.Parameters {
			i, ok := byName[aws.ToString(v.Name)]
			if !ok || v.Type == ssmtypes.ParameterTypeSecureString {
				continue
			}
			cs := credentialScan{salt: s.salt}
			cs.add("value", lastPathPart(params[i].Name), aws.ToString(v.Value))
			params[i].Credentials = cs.result()
		}
	}
	rd.SSMParameters = params
	return nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}

// lastPathPart is a parameter name's last path element ("/app/db/password"
// -> "password"): the key that says what the value is.
func lastPathPart(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}

// codeBuildBatch is BatchGetProjects' limit on names per call.
const codeBuildBatch = 100

// collectCodeBuild reads projects with their service role and scans their
// PLAINTEXT environment variables (PARAMETER_STORE and SECRETS_MANAGER
// variables are references, not values).
func (s *session) collectCodeBuild(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := codebuild.NewFromConfig(s.cfg, func(o *codebuild.Options) { o.Region = region })
	var names []string
	p := codebuild.NewListProjectsPaginator(c, &codebuild.ListProjectsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		names = append(names, page.Projects...)
	}
	for start := 0; start < len(names); start += codeBuildBatch {
		out, err := c.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: names[start:min(start+codeBuildBatch, len(names))]})
		if err != nil {
			return err
		}
		for _, pr := range out.Projects {
			o := inventory.CodeBuildProject{Name: aws.ToString(pr.Name), ARN: aws.ToString(pr.Arn), ServiceRole: aws.ToString(pr.ServiceRole),
				Tags: tagMap(pr.Tags, func(t cbtypes.Tag) (*string, *string) { return t.Key, t.Value })}
			if pr.Environment != nil {
				cs := credentialScan{salt: s.salt}
				for _, v := range pr.Environment.EnvironmentVariables {
					if v.Type == "" || v.Type == cbtypes.EnvironmentVariableTypePlaintext {
						cs.add("environment:"+aws.ToString(v.Name), aws.ToString(v.Name), aws.ToString(v.Value))
					}
				}
				o.Credentials = cs.result()
			}
			rd.CodeBuildProjects = append(rd.CodeBuildProjects, o)
		}
	}
	return nil
}

// Beanstalk option namespaces the collector reads.
const (
	ebEnvNamespace    = "aws:elasticbeanstalk:application:environment"
	ebLaunchNamespace = "aws:autoscaling:launchconfiguration"
	ebEnvironmentNS   = "aws:elasticbeanstalk:environment"
)

// collectBeanstalk reads environments and their configuration settings:
// the instance profile and service role, and the environment properties,
// which are scanned for credentials.
func (s *session) collectBeanstalk(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := elasticbeanstalk.NewFromConfig(s.cfg, func(o *elasticbeanstalk.Options) { o.Region = region })
	envs, err := c.DescribeEnvironments(ctx, &elasticbeanstalk.DescribeEnvironmentsInput{})
	if err != nil {
		return err
	}
	out := make([]inventory.BeanstalkEnvironment, len(envs.Environments))
	forEach(ctx, len(envs.Environments), s.opts.concurrency(), func(ctx context.Context, i int) {
		e := envs.Environments[i]
		o := inventory.BeanstalkEnvironment{Name: aws.ToString(e.EnvironmentName), ID: aws.ToString(e.EnvironmentId),
			ARN: aws.ToString(e.EnvironmentArn), Application: aws.ToString(e.ApplicationName)}
		cfg, err := c.DescribeConfigurationSettings(ctx, &elasticbeanstalk.DescribeConfigurationSettingsInput{
			ApplicationName: e.ApplicationName, EnvironmentName: e.EnvironmentName})
		if err != nil {
			o.Errors = append(o.Errors, s.detail(ServiceBeanstalk, "configuration", region, o.Name, err))
			out[i] = o
			return
		}
		cs := credentialScan{salt: s.salt}
		for _, set := range cfg.ConfigurationSettings {
			for _, opt := range set.OptionSettings {
				ns, name, val := aws.ToString(opt.Namespace), aws.ToString(opt.OptionName), aws.ToString(opt.Value)
				switch {
				case ns == ebEnvNamespace:
					cs.add("environment:"+name, name, val)
				case ns == ebLaunchNamespace && name == "IamInstanceProfile":
					o.InstanceProfile = val
				case ns == ebEnvironmentNS && name == "ServiceRole":
					o.ServiceRole = val
				}
			}
		}
		o.Credentials = cs.result()
		out[i] = o
	})
	rd.BeanstalkEnvironments = out
	return nil
}
