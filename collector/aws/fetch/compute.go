package fetch

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectLambda reads functions with their resource policy, function URLs
// and tags. Environment variables are reduced to their names here, before
// anything is stored.
func (s *session) collectLambda(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := lambda.NewFromConfig(s.cfg, func(o *lambda.Options) { o.Region = region })
	var fns []inventory.LambdaFunction
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, f := range page.Functions {
			fns = append(fns, lambdaFunction(f, s.salt))
		}
	}
	forEach(ctx, len(fns), s.opts.concurrency(), func(ctx context.Context, i int) {
		f := &fns[i]
		pol, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(f.ARN)})
		switch {
		case err == nil:
			f.Policy = aws.ToString(pol.Policy)
		case !hasCode(err, "ResourceNotFoundException"):
			f.Errors = append(f.Errors, s.detail(ServiceLambda, "policy", region, f.ARN, err))
		}
		// GetFunctionUrlConfig reads the unqualified function's URL; URLs on
		// aliases are not read (see docs/aws-collector.md).
		u, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(f.ARN)})
		switch {
		case err == nil:
			f.FunctionURLs = append(f.FunctionURLs, inventory.FunctionURL{URL: aws.ToString(u.FunctionUrl), AuthType: string(u.AuthType)})
		case !hasCode(err, "ResourceNotFoundException"):
			f.Errors = append(f.Errors, s.detail(ServiceLambda, "function-url", region, f.ARN, err))
		}
		tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(f.ARN)})
		if err != nil {
			f.Errors = append(f.Errors, s.detail(ServiceLambda, "tags", region, f.ARN, err))
		} else if len(tags.Tags) > 0 {
			f.Tags = inventory.Tags(tags.Tags)
		}
	})
	s.eventSources(ctx, c, region, fns)
	rd.Functions = fns
	return nil
}

// eventSources attaches every event source mapping of the region to its
// function (a mapping on an alias or version belongs to the function). A
// failed listing is recorded as the lambda/event-source-mappings detail.
func (s *session) eventSources(ctx context.Context, c *lambda.Client, region string, fns []inventory.LambdaFunction) {
	byARN := make(map[string]*inventory.LambdaFunction, len(fns))
	for i := range fns {
		byARN[fns[i].ARN] = &fns[i]
	}
	p := lambda.NewListEventSourceMappingsPaginator(c, &lambda.ListEventSourceMappingsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			s.detail(ServiceLambda, "event-source-mappings", region, "ListEventSourceMappings", err)
			return
		}
		for _, m := range page.EventSourceMappings {
			fn := aws.ToString(m.FunctionArn)
			// arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
			if parts := strings.Split(fn, ":"); len(parts) > 7 {
				fn = strings.Join(parts[:7], ":")
			}
			if f := byARN[fn]; f != nil {
				f.EventSources = append(f.EventSources, inventory.LambdaEventSource{UUID: aws.ToString(m.UUID),
					SourceARN: aws.ToString(m.EventSourceArn), State: aws.ToString(m.State)})
			}
		}
	}
}

func lambdaFunction(f lambdatypes.FunctionConfiguration, salt []byte) inventory.LambdaFunction {
	o := inventory.LambdaFunction{Name: aws.ToString(f.FunctionName), ARN: aws.ToString(f.FunctionArn), Runtime: string(f.Runtime),
		Role: aws.ToString(f.Role), Handler: aws.ToString(f.Handler), PackageType: string(f.PackageType), KMSKeyARN: aws.ToString(f.KMSKeyArn),
		LastModified: aws.ToString(f.LastModified)}
	if f.Environment != nil {
		for k := range f.Environment.Variables {
			o.EnvironmentNames = append(o.EnvironmentNames, k)
		}
		slices.Sort(o.EnvironmentNames)
		// Values are scanned for credentials here and dropped.
		cs := credentialScan{salt: salt}
		for _, k := range o.EnvironmentNames {
			cs.add("environment:"+k, k, f.Environment.Variables[k])
		}
		o.Credentials = cs.result()
	}
	if v := f.VpcConfig; v != nil && (aws.ToString(v.VpcId) != "" || len(v.SubnetIds) > 0) {
		o.VPC = &inventory.LambdaVPC{VPCID: aws.ToString(v.VpcId), SubnetIDs: v.SubnetIds, SecurityGroupIDs: v.SecurityGroupIds}
	}
	for _, l := range f.Layers {
		o.Layers = append(o.Layers, aws.ToString(l.Arn))
	}
	return o
}

// collectECS reads the latest active revision of every task definition
// family: the roles its tasks run as. Container environment values and
// secret references are reduced to names and ARNs.
func (s *session) collectECS(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := ecs.NewFromConfig(s.cfg, func(o *ecs.Options) { o.Region = region })
	var families []string
	p := ecs.NewListTaskDefinitionFamiliesPaginator(c, &ecs.ListTaskDefinitionFamiliesInput{Status: ecstypes.TaskDefinitionFamilyStatusActive})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		families = append(families, page.Families...)
	}
	out := make([]inventory.TaskDefinition, len(families))
	forEach(ctx, len(families), s.opts.concurrency(), func(ctx context.Context, i int) {
		o := inventory.TaskDefinition{Family: families[i]}
		d, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(families[i]),
			Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if err != nil {
			o.Errors = append(o.Errors, s.detail(ServiceECS, "describe", region, families[i], err))
			out[i] = o
			return
		}
		td := d.TaskDefinition
		o.ARN, o.Revision, o.TaskRoleARN, o.ExecutionRoleARN, o.NetworkMode = aws.ToString(td.TaskDefinitionArn), td.Revision,
			aws.ToString(td.TaskRoleArn), aws.ToString(td.ExecutionRoleArn), string(td.NetworkMode)
		for _, cd := range td.ContainerDefinitions {
			cont := inventory.ContainerDef{Name: aws.ToString(cd.Name), Image: aws.ToString(cd.Image), Privileged: aws.ToBool(cd.Privileged)}
			cs := credentialScan{salt: s.salt}
			for _, e := range cd.Environment {
				cont.EnvironmentNames = append(cont.EnvironmentNames, aws.ToString(e.Name))
				cs.add("container:"+cont.Name+":environment:"+aws.ToString(e.Name), aws.ToString(e.Name), aws.ToString(e.Value))
			}
			cont.Credentials = cs.result()
			for _, mp := range cd.MountPoints {
				for _, v := range td.Volumes {
					if aws.ToString(v.Name) == aws.ToString(mp.SourceVolume) && v.Host != nil && aws.ToString(v.Host.SourcePath) != "" {
						cont.HostMounts = append(cont.HostMounts, aws.ToString(v.Host.SourcePath))
					}
				}
			}
			for _, pm := range cd.PortMappings {
				if hp := aws.ToInt32(pm.HostPort); hp != 0 {
					cont.HostPorts = append(cont.HostPorts, hp)
				} else if string(td.NetworkMode) == "host" && pm.ContainerPort != nil {
					cont.HostPorts = append(cont.HostPorts, aws.ToInt32(pm.ContainerPort)) // host mode: the container port is the host's
				}
			}
			for _, sec := range cd.Secrets {
				cont.SecretNames = append(cont.SecretNames, aws.ToString(sec.Name))
				cont.SecretRefs = append(cont.SecretRefs, aws.ToString(sec.ValueFrom))
			}
			o.Containers = append(o.Containers, cont)
		}
		o.Tags = tagMap(d.Tags, func(t ecstypes.Tag) (*string, *string) { return t.Key, t.Value })
		out[i] = o
	})
	rd.TaskDefinitions = out
	return s.collectECSClusters(ctx, c, region, rd)
}
