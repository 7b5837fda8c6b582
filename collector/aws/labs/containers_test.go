package labs

import (
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/graph"
)

// The container hand-offs of issue 14: a container that mounts the Docker
// socket takes its EC2 host, and the host holds every container on it.
func init() {
	labs = append(labs, lab{
		name: "cloudgoat/ecs_takeover-docker-socket-to-host",
		source: "CloudGoat ecs_takeover (scenario README): RCE in the website container behind the ALB, the host's Docker socket " +
			"mounted in it gives the host instance, root on the host takes the other containers running there and their task roles",
		services: []string{fetch.ServiceEC2, fetch.ServiceELB, fetch.ServiceECS},
		build: func(e *estate, variant bool) route {
			n := e.vpc("10.41.0.0/16", "10.41.1.0/24", true, "0.0.0.0/0", 80)
			host := e.instance(n, instanceOpts{})
			cluster := e.ecsCluster("cg-cluster", host)
			var mounts []string
			if !variant { // the variant does not mount the Docker socket
				mounts = []string{"/var/run/docker.sock"}
			}
			web := e.bridgeTask(cluster, "cg-website", "", 80, mounts)
			privdRole := e.role("cg-privd", trustService("ecs-tasks.amazonaws.com"), map[string]string{"p": doc(allow([]string{"ecs:ListTasks", "ecs:DescribeTasks", "ecs:UpdateContainerInstancesState"}, "*"))})
			privd := e.bridgeTask(cluster, "cg-privd", privdRole, 0, nil)
			e.loadBalancer("cg-lb", n, host, 80)
			return route{from: graph.InternetID, via: []string{web, host, privd, privdRole}}
		},
	})
}

// ecsCluster creates a cluster with the instance (an ARN) registered as its
// container instance, and returns the cluster's name.
func (e *estate) ecsCluster(name, instance string) string {
	c := ecs.NewFromConfig(e.cfg)
	_, err := c.CreateCluster(e.ctx, &ecs.CreateClusterInput{ClusterName: s(name)})
	e.check("cluster "+name, err)
	id := instance[len(instance)-len("i-00000000000000000"):]
	doc := `{"instanceId":"` + id + `","region":"` + region + `"}`
	_, err = c.RegisterContainerInstance(e.ctx, &ecs.RegisterContainerInstanceInput{Cluster: s(name), InstanceIdentityDocument: s(doc)})
	e.check("container instance", err)
	return name
}

// bridgeTask registers a bridge-mode task definition (host port mapped when
// port is set, host paths mounted) and runs it as an EC2 service of the cluster.
func (e *estate) bridgeTask(cluster, family, taskRole string, port int32, hostPaths []string) string {
	cd := ecstypes.ContainerDefinition{Name: s("app"), Image: s("nginx"), Memory: sdkaws.Int32(256)}
	if port != 0 {
		cd.PortMappings = []ecstypes.PortMapping{{ContainerPort: sdkaws.Int32(port), HostPort: sdkaws.Int32(port)}}
	}
	var vols []ecstypes.Volume
	for i, p := range hostPaths {
		name := family + "-host-" + string(rune('a'+i))
		vols = append(vols, ecstypes.Volume{Name: s(name), Host: &ecstypes.HostVolumeProperties{SourcePath: s(p)}})
		cd.MountPoints = append(cd.MountPoints, ecstypes.MountPoint{SourceVolume: s(name), ContainerPath: s(p)})
	}
	in := &ecs.RegisterTaskDefinitionInput{Family: s(family), NetworkMode: ecstypes.NetworkModeBridge, ContainerDefinitions: []ecstypes.ContainerDefinition{cd}, Volumes: vols}
	if taskRole != "" {
		in.TaskRoleArn = s(taskRole)
	}
	c := ecs.NewFromConfig(e.cfg)
	out, err := c.RegisterTaskDefinition(e.ctx, in)
	e.check("task definition "+family, err)
	// A service, not RunTask: moto 5.1 answers RunTask / DescribeTasks
	// with a numeric container cpu the SDK cannot decode.
	_, err = c.CreateService(e.ctx, &ecs.CreateServiceInput{Cluster: s(cluster), ServiceName: s(family), TaskDefinition: out.TaskDefinition.TaskDefinitionArn,
		DesiredCount: sdkaws.Int32(1), LaunchType: ecstypes.LaunchTypeEc2})
	e.check("service "+family, err)
	return *out.TaskDefinition.TaskDefinitionArn
}

// loadBalancer creates an internet-facing ALB in the network's subnet (and
// a second one) with a listener forwarding the port to the instance.
func (e *estate) loadBalancer(name string, n network, instance string, port int32) {
	c := elbv2.NewFromConfig(e.cfg)
	sub2, err := e.ec2().CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: s(n.vpc), CidrBlock: s(n.second), AvailabilityZone: s(region + "b")})
	e.check("second subnet", err)
	lb, err := c.CreateLoadBalancer(e.ctx, &elbv2.CreateLoadBalancerInput{Name: s(name), Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing,
		Type: elbtypes.LoadBalancerTypeEnumApplication, Subnets: []string{n.subnet, *sub2.Subnet.SubnetId}, SecurityGroups: []string{n.sg}})
	e.check("load balancer", err)
	tg, err := c.CreateTargetGroup(e.ctx, &elbv2.CreateTargetGroupInput{Name: s(name + "-tg"), Protocol: elbtypes.ProtocolEnumHttp, Port: sdkaws.Int32(port),
		VpcId: s(n.vpc), TargetType: elbtypes.TargetTypeEnumInstance})
	e.check("target group", err)
	tgARN := tg.TargetGroups[0].TargetGroupArn
	id := instance[len(instance)-len("i-00000000000000000"):]
	_, err = c.RegisterTargets(e.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: []elbtypes.TargetDescription{{Id: s(id), Port: sdkaws.Int32(port)}}})
	e.check("register target", err)
	_, err = c.CreateListener(e.ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp,
		Port: sdkaws.Int32(port), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}})
	e.check("listener", err)
}
