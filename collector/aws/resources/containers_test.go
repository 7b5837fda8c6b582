package resources

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

var (
	clusterARN = "arn:aws:ecs:" + region + ":" + acct + ":cluster/apps"
	webTD      = "arn:aws:ecs:" + region + ":" + acct + ":task-definition/web:3"
	vaultTD    = "arn:aws:ecs:" + region + ":" + acct + ":task-definition/vault:1"
	vaultRole  = "arn:aws:iam::" + acct + ":role/vault-task"
)

// ecsFixture runs two task definitions on the web instance (an ECS container
// instance): "web" (the given containers and mode) and "vault" (a task role).
func ecsFixture(mode, launchType string, web ...inventory.ContainerDef) *inventory.Inventory {
	inv := fixture()
	r := inv.Regional[region]
	r.TaskDefinitions = []inventory.TaskDefinition{
		{ARN: webTD, Family: "web", Revision: 3, NetworkMode: mode, Containers: web},
		{ARN: vaultTD, Family: "vault", Revision: 1, NetworkMode: "bridge", TaskRoleARN: vaultRole, Containers: []inventory.ContainerDef{{Name: "vault"}}},
	}
	r.ECSClusters = []inventory.ECSCluster{{ARN: clusterARN, Name: "apps",
		ContainerInstances: []inventory.ECSContainerInstance{{ARN: clusterARN + "/ci-1", EC2InstanceID: "i-web", Status: "ACTIVE"}},
		Tasks: []inventory.ECSTask{
			{ARN: "arn:aws:ecs:" + region + ":" + acct + ":task/apps/t1", TaskDefinitionARN: webTD, LaunchType: launchType, ContainerInstanceARN: clusterARN + "/ci-1"},
			{ARN: "arn:aws:ecs:" + region + ":" + acct + ":task/apps/t2", TaskDefinitionARN: vaultTD, LaunchType: "EC2", ContainerInstanceARN: clusterARN + "/ci-1"},
		}}}
	if launchType == "FARGATE" {
		r.ECSClusters[0].Tasks[0].ContainerInstanceARN = ""
	}
	return inv
}

func TestContainerHostTakeover(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		launch     string
		web        inventory.ContainerDef
		wantEscape bool
	}{
		{"privileged container escapes to its host", "bridge", "EC2", inventory.ContainerDef{Name: "app", Privileged: true}, true},
		{"Docker socket mount escapes to its host", "bridge", "EC2", inventory.ContainerDef{Name: "app", HostMounts: []string{"/var/run/docker.sock"}}, true},
		{"host root mount escapes to its host", "awsvpc", "EC2", inventory.ContainerDef{Name: "app", HostMounts: []string{"/"}}, true},
		{"data directory mount does not", "bridge", "EC2", inventory.ContainerDef{Name: "app", HostMounts: []string{"/data/cache"}}, false},
		{"plain container does not", "bridge", "EC2", inventory.ContainerDef{Name: "app"}, false},
		{"privileged task on Fargate has no EC2 host", "awsvpc", "FARGATE", inventory.ContainerDef{Name: "app", Privileged: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, ecsFixture(tc.mode, tc.launch, tc.web), Options{})
			e := findEdge(p, webTD, "ESCALATES_TO", webID)
			if (e != nil) != tc.wantEscape {
				t.Fatalf("container -> host = %+v, want %v", e, tc.wantEscape)
			}
			if hasFinding(p, RuleECSHostAccess, webTD) != tc.wantEscape {
				t.Errorf("host-access finding present = %v, want %v", !tc.wantEscape, tc.wantEscape)
			}
			if !tc.wantEscape {
				return
			}
			if e.Technique != TechECSHostEscape || len(e.Findings) == 0 {
				t.Errorf("escape edge = %+v", e)
			}
			// Root on the host then holds the co-located vault task and its role.
			if h := findEdge(p, webID, "ESCALATES_TO", vaultTD); h == nil || h.Technique != TechECSHostControlsTasks {
				t.Errorf("host -> co-located task = %+v", h)
			}
			if findEdge(p, vaultTD, "USES_IDENTITY", vaultRole) == nil {
				t.Error("co-located task's role lost")
			}
		})
	}
}

func TestContainerSharesHostNetworkAndIMDS(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		tokens   string
		hops     int32
		wantIMDS bool
		wantNet  bool
	}{
		{"bridge mode on an IMDSv1 host", "bridge", "optional", 1, true, true},
		{"bridge mode, IMDSv2 hop limit 1", "bridge", "required", 1, false, true},
		{"bridge mode, IMDSv2 hop limit 2", "bridge", "required", 2, true, true},
		{"host mode, IMDSv2 hop limit 1", "host", "required", 1, true, true},
		{"default mode is bridge on EC2", "", "optional", 1, true, true},
		{"awsvpc has its own interface", "awsvpc", "optional", 1, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := ecsFixture(tc.mode, "EC2", inventory.ContainerDef{Name: "app"})
			inst := &inv.Regional[region].Instances[0]
			inst.MetadataHTTPTokens, inst.MetadataHopLimit = tc.tokens, tc.hops
			p := build(t, inv, Options{})
			e := findEdge(p, webTD, "USES_IDENTITY", roleARN)
			if (e != nil) != tc.wantIMDS || (e != nil && e.Technique != TechECSHostIMDS) {
				t.Errorf("container -> host role = %+v, want %v", e, tc.wantIMDS)
			}
			// The web host's group is admitted by the database's group.
			if got := findEdge(p, webTD, "REACHES", dbARN) != nil; got != tc.wantNet {
				t.Errorf("container reaches the host's database = %v, want %v", got, tc.wantNet)
			}
		})
	}
}

func TestLoadBalancerForwardsToTheContainerOnTheHostPort(t *testing.T) {
	inv := ecsFixture("bridge", "EC2", inventory.ContainerDef{Name: "app", HostPorts: []int32{443}, HostMounts: []string{"/var/run/docker.sock"}})
	r := inv.Regional[region]
	lbARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":loadbalancer/app/front/1"
	tgARN := "arn:aws:elasticloadbalancing:" + region + ":" + acct + ":targetgroup/web/1"
	r.LoadBalancers = []inventory.LoadBalancer{{ARN: lbARN, Name: "front", Type: "application", Scheme: "internet-facing", VPCID: "vpc-1",
		SubnetIDs: []string{"subnet-pub"}, SecurityGroupIDs: []string{"sg-web"},
		Listeners: []inventory.Listener{{Port: 443, Protocol: "HTTPS", TargetGroupARNs: []string{tgARN}}}}}
	r.TargetGroups = []inventory.TargetGroup{{ARN: tgARN, Name: "web", TargetType: "instance", Port: 443,
		Targets: []inventory.Target{{ID: "i-web", Port: 443}}}}
	p := build(t, inv, Options{})
	if e := findEdge(p, lbARN, "REACHES", webTD); e == nil || e.Technique != TechELBForward {
		t.Fatalf("load balancer -> container = %+v", e)
	}
	if e := findEdge(p, lbARN, "REACHES", webID); e != nil {
		t.Errorf("the host port belongs to the container, yet the host is a forward target: %+v", e)
	}
}
