package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/breachpath/breachpath/collector/aws/fetch/kubetest"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// TestCollectAWSReadsAKubectlExport: `collect aws --kubernetes-file` turns a
// kubectl export of an EKS cluster into workloads on the cluster's node
// instances, with the privileged pod's escape to its node, its exposure by a
// LoadBalancer Service, and the namespace's Pod Security Admission label
// refusing the privileged pod its service account could create, without
// calling the Kubernetes API.
func TestCollectAWSReadsAKubectlExport(t *testing.T) {
	ep := mototest.Endpoint(t)
	ctx := context.Background()
	account, cfg, c := motoAccount(t, ep, 300000000000, "AKIABREACHPATHTEST02", "cli", "cli")
	e2 := ec2.NewFromConfig(cfg)
	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdkaws.String("10.61.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: sdkaws.String("10.61.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: sdkaws.String("ami-12c6146b"), MinCount: sdkaws.Int32(1), MaxCount: sdkaws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: sub.Subnet.SubnetId})
	if err != nil {
		t.Fatal(err)
	}
	instance := *run.Instances[0].InstanceId
	cl, err := eks.NewFromConfig(cfg).CreateCluster(ctx, &eks.CreateClusterInput{Name: sdkaws.String("shop"), RoleArn: sdkaws.String("arn:aws:iam::" + account + ":role/shop-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{*sub.Subnet.SubnetId}}})
	if err != nil {
		t.Fatal(err)
	}
	node := kubetest.Node("ip-10-61-1-10.ec2.internal", "us-east-1a", instance)
	node["kind"] = "Node"
	pod := kubetest.Pod(kubetest.PodSpec{Namespace: "shop", Name: "agent-x1", Owner: "DaemonSet/agent", Node: "ip-10-61-1-10.ec2.internal",
		ServiceAccount: "agent", Labels: map[string]string{"app": "agent"},
		Containers: []kubetest.Container{{Name: "agent", Image: "agent", HostPaths: []string{"/var/run/containerd/containerd.sock"}}}})
	pod["kind"] = "Pod"
	svc := kubetest.Service(kubetest.ServiceSpec{Namespace: "shop", Name: "agent", Type: "LoadBalancer", Selector: map[string]string{"app": "agent"},
		Ports: []kubetest.ServicePort{{Port: 443, NodePort: 30443}}})
	svc["kind"] = "Service"
	ns := kubetest.Namespace("shop", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	ns["kind"] = "Namespace"
	role := kubetest.Role("shop", "pods", kubetest.Rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}})
	role["kind"] = "Role"
	binding := kubetest.Binding("shop", "agent-pods", "Role/pods", kubetest.Subject{Kind: "ServiceAccount", Name: "agent", Namespace: "shop"})
	binding["kind"] = "RoleBinding"
	export, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{node, pod, svc, ns, role, binding}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "shop.json")
	if err := os.WriteFile(file, export, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EC2", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_ENDPOINT_URL", ep)
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", c.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	db := filepath.Join(t.TempDir(), "bp.db")
	out, err := runCollect(t, ctx, db, "aws", "--regions", "us-east-1", "--concurrency", "16", "--kubernetes-file", "shop="+file)
	if err != nil {
		t.Fatalf("collect aws: %v\n%s", err, out)
	}
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	workload := resources.WorkloadID(*cl.Cluster.Arn, "shop", "DaemonSet", "agent")
	host := "arn:aws:ec2:us-east-1:" + account + ":instance/" + instance
	hub := *cl.Cluster.Arn + "#namespace/shop"
	has := func(from, to, technique string) bool {
		for _, e := range g.Edges {
			if e.From == from && e.To == to && e.Technique == technique {
				return true
			}
		}
		return false
	}
	if !has(workload, host, resources.TechEKSPodEscape) {
		t.Errorf("no %s edge %s -> %s:\n%s", resources.TechEKSPodEscape, workload, host, out)
	}
	if !has(graph.InternetID, workload, resources.TechEKSServiceInternet) {
		t.Errorf("the LoadBalancer Service does not expose %s", workload)
	}
	if !has(workload, hub, resources.TechEKSServiceAccountRBAC) || !has(hub, workload, resources.TechEKSRunAsServiceAccount) {
		t.Errorf("the service account's pod creation in shop is missing")
	}
	if has(hub, host, resources.TechEKSCreatePrivilegedPod) {
		t.Errorf("namespace shop enforces restricted, yet creating pods there takes the node")
	}
}
