package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectECSClusters reads where task definitions run: every cluster's EC2
// container instances, running tasks and services. A cluster whose details
// fail keeps the error on the cluster; only ListClusters failing fails the
// area.
func (s *session) collectECSClusters(ctx context.Context, c *ecs.Client, region string, rd *inventory.RegionData) error {
	var arns []string
	p := ecs.NewListClustersPaginator(c, &ecs.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListClusters: %w", err)
		}
		arns = append(arns, page.ClusterArns...)
	}
	out := make([]inventory.ECSCluster, len(arns))
	forEach(ctx, len(arns), s.opts.concurrency(), func(ctx context.Context, i int) {
		cl := inventory.ECSCluster{ARN: arns[i], Name: lastSegment(arns[i])}
		fail := func(what string, err error) {
			cl.Errors = append(cl.Errors, s.detail(ServiceECS, what, region, arns[i], err))
		}
		if err := ecsContainerInstances(ctx, c, &cl); err != nil {
			fail("container-instances", err)
		}
		if err := ecsTasks(ctx, c, &cl); err != nil {
			fail("tasks", err)
		}
		if err := ecsServices(ctx, c, &cl); err != nil {
			fail("services", err)
		}
		out[i] = cl
	})
	rd.ECSClusters = out
	return nil
}

func ecsContainerInstances(ctx context.Context, c *ecs.Client, cl *inventory.ECSCluster) error {
	p := ecs.NewListContainerInstancesPaginator(c, &ecs.ListContainerInstancesInput{Cluster: aws.String(cl.ARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListContainerInstances: %w", err)
		}
		if len(page.ContainerInstanceArns) == 0 {
			continue
		}
		d, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cl.ARN), ContainerInstances: page.ContainerInstanceArns})
		if err != nil {
			return fmt.Errorf("DescribeContainerInstances: %w", err)
		}
		for _, ci := range d.ContainerInstances {
			cl.ContainerInstances = append(cl.ContainerInstances, inventory.ECSContainerInstance{ARN: aws.ToString(ci.ContainerInstanceArn),
				EC2InstanceID: aws.ToString(ci.Ec2InstanceId), Status: aws.ToString(ci.Status)})
		}
	}
	return nil
}

func ecsTasks(ctx context.Context, c *ecs.Client, cl *inventory.ECSCluster) error {
	p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cl.ARN), DesiredStatus: ecstypes.DesiredStatusRunning})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListTasks: %w", err)
		}
		if len(page.TaskArns) == 0 {
			continue
		}
		d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cl.ARN), Tasks: page.TaskArns})
		if err != nil {
			return fmt.Errorf("DescribeTasks: %w", err)
		}
		for _, t := range d.Tasks {
			task := inventory.ECSTask{ARN: aws.ToString(t.TaskArn), TaskDefinitionARN: aws.ToString(t.TaskDefinitionArn), LaunchType: string(t.LaunchType),
				ContainerInstanceARN: aws.ToString(t.ContainerInstanceArn), LastStatus: aws.ToString(t.LastStatus)}
			for _, a := range t.Attachments {
				if aws.ToString(a.Type) != "ElasticNetworkInterface" {
					continue
				}
				for _, kv := range a.Details {
					switch aws.ToString(kv.Name) {
					case "networkInterfaceId":
						task.ENI = aws.ToString(kv.Value)
					case "subnetId":
						task.SubnetID = aws.ToString(kv.Value)
					case "privateIPv4Address":
						task.PrivateIPs = append(task.PrivateIPs, aws.ToString(kv.Value))
					}
				}
			}
			cl.Tasks = append(cl.Tasks, task)
		}
	}
	return nil
}

func ecsServices(ctx context.Context, c *ecs.Client, cl *inventory.ECSCluster) error {
	p := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String(cl.ARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListServices: %w", err)
		}
		// DescribeServices takes at most 10 services per call.
		for start := 0; start < len(page.ServiceArns); start += 10 {
			batch := page.ServiceArns[start:min(start+10, len(page.ServiceArns))]
			d, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cl.ARN), Services: batch})
			if err != nil {
				return fmt.Errorf("DescribeServices: %w", err)
			}
			for _, sv := range d.Services {
				svc := inventory.ECSService{ARN: aws.ToString(sv.ServiceArn), Name: aws.ToString(sv.ServiceName),
					TaskDefinitionARN: aws.ToString(sv.TaskDefinition), LaunchType: string(sv.LaunchType)}
				if nc := sv.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
					svc.SubnetIDs = nc.AwsvpcConfiguration.Subnets
					svc.SecurityGroupIDs = nc.AwsvpcConfiguration.SecurityGroups
				}
				cl.Services = append(cl.Services, svc)
			}
		}
	}
	return nil
}
