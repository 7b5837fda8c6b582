package labs

import (
	"slices"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/mototest"
	"github.com/breachpath/breachpath/graph"
)

// ecsEFSChange is the one change a variant of CloudGoat ecs_efs_attack makes.
type ecsEFSChange int

const (
	ecsEFSAsPublished ecsEFSChange = iota
	// ecsEFSNoNFSFromAdminSubnet: the mount target's security group admits
	// NFS from a range where nothing runs, not from the admin subnet.
	ecsEFSNoNFSFromAdminSubnet
	// ecsEFSNoCreateTags: the ruse box's role may not ec2:CreateTags, so the
	// admin instance keeps StartSession=false.
	ecsEFSNoCreateTags
)

// ecsEFSLab is one scenario built on CloudGoat ecs_efs_attack's estate.
type ecsEFSLab struct {
	name, source string
	change       ecsEFSChange
	// policyFor, when set, gives the file system a policy allowing
	// elasticfilesystem:ClientMount to the named role only (IAM authorisation
	// for NFS clients), and takes the EFS grant out of the admin role's own
	// policy. The variant names policyVariant instead.
	policyFor, policyVariant string
}

// CloudGoat ecs_efs_attack (scenarios/aws/ecs_efs_attack: README, cheat sheet, terraform): the
// player has a shell on the "ruse" instance, whose role may list and describe ECS, register task
// definitions, update services, pass any role and create EC2 tags. It registers a task definition
// that sends the task role's credentials out and points the cluster's service at it; the task role
// may start an SSM session on instances tagged StartSession=true only. The ruse role tags the admin
// instance (StartSession=false) with StartSession=true, the task role opens a session on it, and
// from there NFS (2049), which the EFS mount target's security group admits from the admin subnet
// only, mounts the file system (no file-system policy: EFS's default lets any client that reaches a
// mount target in) holding the flag.
func init() {
	for _, l := range []ecsEFSLab{
		{name: "cloudgoat/ecs_efs_attack", change: ecsEFSNoNFSFromAdminSubnet,
			source: "CloudGoat ecs_efs_attack: ruse instance -> its role (IMDS) -[iam:PassRole + ecs:RegisterTaskDefinition + ecs:UpdateService: " +
				"cg-ecs-role; ec2:CreateTags StartSession=true on the admin instance, then ssm:StartSession as cg-ecs-role]-> admin instance -[NFS 2049 to " +
				"the mount target, no file-system policy]-> EFS file system; one change: the mount target's security group admits NFS from another range"},
		{name: "cloudgoat/ecs_efs_attack-tag-step", change: ecsEFSNoCreateTags,
			source: "CloudGoat ecs_efs_attack, same route; one change: the ruse role may not ec2:CreateTags (the task role's ssm:StartSession holds only on StartSession=true)"},
		{name: "breachpath/efs-iam-authorised-mount", policyFor: "cg-efs-admin-role", policyVariant: "cg-efs-other-role",
			source: "CloudGoat ecs_efs_attack's estate with a file-system policy (AWS EFS user guide, IAM authorisation for NFS clients): the policy " +
				"allows elasticfilesystem:ClientMount to the admin instance's role only; one change: the policy names another role"},
	} {
		labs = append(labs, lab{name: l.name, source: l.source,
			services: []string{fetch.ServiceEC2, fetch.ServiceECS, fetch.ServiceEFS},
			build:    func(e *estate, variant bool) route { return e.ecsEFS(l, variant) }})
	}
}

// ecsEFS seeds the scenario's estate and returns its route: from the ruse instance, through its
// role, to the admin instance, to the file system.
func (e *estate) ecsEFS(l ecsEFSLab, variant bool) route {
	c := e.ec2()
	v := e.newVPC("10.10.0.0/16")
	vpc := v.id
	public1, public2 := v.subnet("10.10.10.0/24", "a"), v.subnet("10.10.20.0/24", "b")
	igw, err := c.CreateInternetGateway(e.ctx, &ec2.CreateInternetGatewayInput{})
	e.check("igw", err)
	_, err = c.AttachInternetGateway(e.ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: s(vpc)})
	e.check("attach igw", err)
	rt, err := c.CreateRouteTable(e.ctx, &ec2.CreateRouteTableInput{VpcId: s(vpc)})
	e.check("route table", err)
	_, err = c.CreateRoute(e.ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: s("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})
	e.check("default route", err)
	for _, sub := range []string{public1, public2} {
		_, err = c.AssociateRouteTable(e.ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: s(sub)})
		e.check("associate", err)
	}
	group := func(name string, port int32, cidr string) string { return v.group(name, tcp(port, []string{cidr})) }
	sshSG := group("cg-ec2-ssh", 22, "198.51.100.7/32") // the player's address (cg_whitelist)
	nfsFrom := "10.10.10.0/24"
	if variant && l.change == ecsEFSNoNFSFromAdminSubnet {
		nfsFrom = "10.10.30.0/24"
	}
	efsSG := group("cg-ec2-efs", 2049, nfsFrom)
	ecsSG := group("cg-ecs-http", 80, "198.51.100.7/32")

	ruseActions := []string{"ecs:Describe*", "ecs:List*", "ecs:RegisterTaskDefinition", "ecs:UpdateService", "iam:PassRole", "iam:List*", "iam:Get*",
		"ec2:CreateTags", "ec2:DescribeInstances", "ec2:DescribeImages", "ec2:DescribeTags", "ec2:DescribeSnapshots"}
	if variant && l.change == ecsEFSNoCreateTags {
		ruseActions = slices.DeleteFunc(ruseActions, func(a string) bool { return a == "ec2:CreateTags" })
	}
	ruseRole := e.role("cg-ec2-role", trustService("ec2.amazonaws.com"), map[string]string{"cg-ec2-ruse-role-policy": doc(allow(ruseActions, "*"))})
	ecsRole := e.role("cg-ecs-role", trustService("ecs-tasks.amazonaws.com"), map[string]string{"cg-ecs-role-policy": doc(
		allow([]string{"ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeTags", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
			"ecr:GetAuthorizationToken", "ssm:TerminateSession", "ec2:DescribeSnapshots", "logs:CreateLogStream", "logs:PutLogEvents"}, "*"),
		map[string]any{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/StartSession": "true"}}})})
	adminPolicy := map[string]string{"cg-efs-admin-role-policy": doc(allow("elasticfilesystem:ClientMount", "*"))}
	if l.policyFor != "" {
		adminPolicy = map[string]string{"describe": doc(allow("ec2:DescribeInstances", "*"))}
		e.role("cg-efs-other-role", trustService("ec2.amazonaws.com"), nil)
	}
	e.role("cg-efs-admin-role", trustService("ec2.amazonaws.com"), adminPolicy)

	ruse := e.instance(network{vpc: vpc, subnet: public2, sg: sshSG}, instanceOpts{profile: e.profile("cg-ecsTaskExecutionRole-instance-profile", "cg-ec2-role"),
		publicIP: true, tags: map[string]string{"Name": "cg-ruse-ec2", "StartSession": "true"}})
	admin := e.instance(network{vpc: vpc, subnet: public1, sg: efsSG}, instanceOpts{profile: e.profile("cg-efs-admin-instance-profile", "cg-efs-admin-role"),
		publicIP: true, tags: map[string]string{"Name": "cg-admin-ec2", "StartSession": "false"}})

	// The cluster's Fargate service running the webapp task definition with the task role.
	ec := ecs.NewFromConfig(e.cfg)
	_, err = ec.CreateCluster(e.ctx, &ecs.CreateClusterInput{ClusterName: s("cg-cluster")})
	e.check("cluster", err)
	td, err := ec.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{Family: s("webapp"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: s("256"), Memory: s("512"),
		TaskRoleArn: s(ecsRole), ExecutionRoleArn: s(ecsRole),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: s("webapp"), Image: s("httpd:2.4"), Essential: sdkaws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: sdkaws.Int32(80), HostPort: sdkaws.Int32(80), Protocol: ecstypes.TransportProtocolTcp}}}}})
	e.check("task definition", err)
	_, err = ec.CreateService(e.ctx, &ecs.CreateServiceInput{Cluster: s("cg-cluster"), ServiceName: s("cg-webapp"), TaskDefinition: td.TaskDefinition.TaskDefinitionArn,
		DesiredCount: sdkaws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{public1}, SecurityGroups: []string{ecsSG}, AssignPublicIp: ecstypes.AssignPublicIpEnabled}}})
	e.check("service", err)

	// The file system holding the flag, its mount target in the admin subnet and the access point.
	fc := efs.NewFromConfig(e.cfg)
	fs, err := fc.CreateFileSystem(e.ctx, &efs.CreateFileSystemInput{CreationToken: s("cg-admin-backup-" + e.account),
		Tags: []efstypes.Tag{{Key: s("Name"), Value: s("cg-admin-backup")}, {Key: s("data-classification"), Value: s("restricted")}}})
	e.check("file system", err)
	_, err = fc.CreateMountTarget(e.ctx, &efs.CreateMountTargetInput{FileSystemId: fs.FileSystemId, SubnetId: s(public1), SecurityGroups: []string{efsSG}})
	e.check("mount target", err)
	_, err = fc.CreateAccessPoint(e.ctx, &efs.CreateAccessPointInput{FileSystemId: fs.FileSystemId, ClientToken: s("cg-admin-ap-" + e.account),
		PosixUser:     &efstypes.PosixUser{Uid: sdkaws.Int64(1000), Gid: sdkaws.Int64(1000)},
		RootDirectory: &efstypes.RootDirectory{Path: s("/admin"), CreationInfo: &efstypes.CreationInfo{OwnerUid: sdkaws.Int64(1000), OwnerGid: sdkaws.Int64(1000), Permissions: s("777")}}})
	e.check("access point", err)
	fsARN := sdkaws.ToString(fs.FileSystemArn)
	if fsARN == "" {
		fsARN = e.arn("elasticfilesystem", "file-system/"+*fs.FileSystemId)
	}
	if l.policyFor != "" {
		who := l.policyFor
		if variant {
			who = l.policyVariant
		}
		_, err = fc.PutFileSystemPolicy(e.ctx, &efs.PutFileSystemPolicyInput{FileSystemId: fs.FileSystemId, Policy: s(doc(map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": e.arn("iam", "role/"+who)}, "Action": "elasticfilesystem:ClientMount", "Resource": fsARN}))})
		e.check("file-system policy", err)
	}
	return route{from: ruse, via: []string{ruseRole, admin, fsARN}}
}

// TestECSEFSAttackHops checks what the corpus' route match cannot: the move onto the admin instance
// is the task role's ssm:StartSession made by the ruse role after its own tag step, and the last hop
// is an NFS mount (network reach on 2049 with no IAM decision; or, with a file-system policy, the
// role's IAM-authorised ClientMount).
func TestECSEFSAttackHops(t *testing.T) {
	ep := mototest.Endpoint(t)
	for _, l := range labs {
		if l.name != "cloudgoat/ecs_efs_attack" && l.name != "breachpath/efs-iam-authorised-mount" {
			continue
		}
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			g, r, _ := run(t, ep, l, false)
			match, all := find(t, g, r)
			if len(match) == 0 {
				t.Fatalf("no route; %d paths:%s", len(all), explain(all))
			}
			admin, fsARN := r.via[1], r.via[2]
			var ok bool
			for _, p := range match {
				var session, mount bool
				for _, h := range p.Hops {
					if h.To == admin && h.Technique == "aws.ssm.start-session" && strings.Contains(h.TagStep, "ec2:CreateTags") &&
						strings.Contains(strings.ToLower(h.TagStep), "startsession=true") && h.From == r.via[0] {
						session = slices.ContainsFunc(h.Evidence, func(ev string) bool { return strings.Contains(ev, "cg-ecs-role") })
					}
					if h.From == admin && h.To == fsARN {
						if strings.HasPrefix(l.name, "breachpath/") {
							mount = h.Technique == identity.TechEFSClientMount && h.Kind == graph.EdgeReads && !h.Conditional
						} else {
							mount = h.Kind == graph.EdgeReaches && slices.ContainsFunc(h.Findings, func(f string) bool { return strings.Contains(f, "aws.efs.file-system-open-to-nfs-clients") })
						}
					}
				}
				ok = ok || (session && mount)
			}
			if !ok {
				t.Fatalf("the route's hops are not the session after the tag step and the NFS mount:%s", explain(match))
			}
			n, _ := g.NodeIndex(fsARN)
			if node := g.Nodes[n]; node.NativeType != "AWS::EFS::FileSystem" || node.Sensitivity < graph.SensitivityRestricted {
				t.Fatalf("file system node %+v: want AWS::EFS::FileSystem, restricted from its tag", node)
			}
		})
	}
}
