package labs

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/fetch/kubetest"
	"github.com/breachpath/breachpath/collector/aws/resources"
)

// The EKS hand-offs of issue 14: a pod that owns its node reaches the node
// role, and a service account that may create pods runs one as the service
// account an IRSA role trusts. The AWS side is in moto; the Kubernetes API
// is kubetest's TLS server answering the v1 shapes.
func init() {
	labs = append(labs,
		lab{
			name: "kubernetes-goat/container-escape-to-host-on-eks",
			source: "Kubernetes Goat \"Container escape to the host system\" (scenario guide): the system-monitor workload runs privileged with the " +
				"node's / mounted as a hostPath, so a shell in it is root on the node; on EKS root on the node takes the node role from IMDS " +
				"(which answers pods only through the node: IMDSv2, hop limit 1), and the node role reads the data bucket",
			services: []string{fetch.ServiceEC2, fetch.ServiceEKS, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				b, role, node, cluster := nodeCluster(e, "goat", e.vpc("10.52.0.0/16", "10.52.1.0/24", false, ""), 1)
				monitor := kubetest.Container{Name: "system-monitor", Image: "madhuakula/k8s-goat-system-monitor", Privileged: true, HostPaths: []string{"/"}}
				if variant { // the workload neither privileged nor mounting the node
					monitor.Privileged, monitor.HostPaths = false, nil
				}
				e.kubeObjects("goat", &kubetest.Objects{
					Nodes: []map[string]any{kubetest.Node("ip-10-52-1-10.ec2.internal", region+"a", instanceID(node))},
					Pods: []map[string]any{kubetest.Pod(kubetest.PodSpec{Namespace: "default", Name: "system-monitor-6f9c7d5b4-x2xz1",
						Owner: "ReplicaSet/system-monitor-6f9c7d5b4", Node: "ip-10-52-1-10.ec2.internal", ServiceAccount: "default",
						Containers: []kubetest.Container{monitor}})},
					ServiceAccounts: []map[string]any{kubetest.ServiceAccount("default", "default", "")},
				})
				pod := resources.WorkloadID(cluster, "default", "Deployment", "system-monitor")
				return route{from: pod, via: []string{node, role, b}}
			},
		},
		lab{
			name: "eks-cluster-games/service-account-to-irsa-bucket",
			source: "Wiz EKS Cluster Games (published challenge descriptions: exploiting service accounts, IRSA to S3): the foothold pod's " +
				"service account may create pods in its namespace, so it runs a pod as the service account annotated with the S3 role; " +
				"the role's trust accepts that account's token from the cluster's OIDC issuer, and the role reads the flag bucket",
			services: []string{fetch.ServiceEC2, fetch.ServiceEKS, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				b := e.bucket("challenge-flag", restricted, "")
				n := e.vpc("10.53.0.0/16", "10.53.1.0/24", false, "")
				node := e.instance(n, instanceOpts{hopLimit: 1}) // a node without a role: the route is not through it
				cluster, issuer := e.eksCluster("games", n)
				host := strings.TrimPrefix(issuer, "https://")
				_, err := e.iam().CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{Url: s(issuer), ClientIDList: []string{"sts.amazonaws.com"},
					ThumbprintList: []string{strings.Repeat("9", 40)}})
				e.check("oidc provider", err)
				trusted := "s3access-sa"
				if variant { // the trust is bound to another service account
					trusted = "other-sa"
				}
				role := e.role("challengeEksS3Role", doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": e.arn("iam", "oidc-provider/"+host)},
					"Action": "sts:AssumeRoleWithWebIdentity", "Condition": map[string]any{"StringEquals": map[string]any{
						host + ":sub": "system:serviceaccount:challenge:" + trusted, host + ":aud": "sts.amazonaws.com"}}}),
					map[string]string{"s3": doc(allow([]string{"s3:ListBucket", "s3:GetObject"}, []string{b, b + "/*"}))})
				nodeName := "ip-10-53-1-10.ec2.internal"
				e.kubeObjects("games", &kubetest.Objects{
					Nodes: []map[string]any{kubetest.Node(nodeName, region+"a", instanceID(node))},
					Pods: []map[string]any{
						kubetest.Pod(kubetest.PodSpec{Namespace: "challenge", Name: "debug-7c9f8-abcde", Owner: "ReplicaSet/debug-7c9f8", Node: nodeName,
							ServiceAccount: "debug-sa", Containers: []kubetest.Container{{Name: "debug", Image: "busybox"}}}),
						kubetest.Pod(kubetest.PodSpec{Namespace: "challenge", Name: "s3-reader-5d4c3-fghij", Owner: "ReplicaSet/s3-reader-5d4c3", Node: nodeName,
							ServiceAccount: "s3access-sa", Containers: []kubetest.Container{{Name: "reader", Image: "amazon/aws-cli"}}}),
					},
					ServiceAccounts: []map[string]any{kubetest.ServiceAccount("challenge", "debug-sa", ""),
						kubetest.ServiceAccount("challenge", "s3access-sa", role)},
					Roles: []map[string]any{kubetest.Role("challenge", "pod-creator",
						kubetest.Rule{Verbs: []string{"get", "list", "create"}, APIGroups: []string{""}, Resources: []string{"pods"}})},
					RoleBindings: []map[string]any{kubetest.Binding("challenge", "debug-pod-creator", "Role/pod-creator",
						kubetest.Subject{Kind: "ServiceAccount", Name: "debug-sa", Namespace: "challenge"})},
				})
				debug := resources.WorkloadID(cluster, "challenge", "Deployment", "debug")
				reader := resources.WorkloadID(cluster, "challenge", "Deployment", "s3-reader")
				return route{from: debug, via: []string{reader, role, b}}
			},
		},
	)
}

// eksCluster creates an EKS cluster in the network's subnet and returns its
// ARN and OIDC issuer URL.
func (e *estate) eksCluster(name string, n network) (arn, issuer string) {
	c := eks.NewFromConfig(e.cfg)
	_, err := c.CreateCluster(e.ctx, &eks.CreateClusterInput{Name: s(name), RoleArn: s(e.arn("iam", "role/"+name+"-cluster")),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.subnet}}})
	e.check("eks cluster "+name, err)
	d, err := c.DescribeCluster(e.ctx, &eks.DescribeClusterInput{Name: s(name)})
	e.check("describe cluster "+name, err)
	if d.Cluster.Identity != nil && d.Cluster.Identity.Oidc != nil {
		issuer = *d.Cluster.Identity.Oidc.Issuer
	}
	return *d.Cluster.Arn, issuer
}

// kubeObjects sets what the cluster's Kubernetes API answers.
func (e *estate) kubeObjects(cluster string, objs *kubetest.Objects) {
	e.kube, e.kubeCluster = objs, cluster
}

// instanceID is the id of an instance ARN.
func instanceID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// nodeCluster seeds an EKS lab's objective (a bucket the node role reads),
// the node instance in the network with that role, and the cluster.
func nodeCluster(e *estate, prefix string, n network, hopLimit int32) (bucket, role, node, cluster string) {
	bucket = e.bucket(prefix+"-node-data", restricted, "")
	role = e.role(prefix+"-eks-node", trustService("ec2.amazonaws.com"), map[string]string{"s3": doc(allow([]string{"s3:ListBucket", "s3:GetObject"}, []string{bucket, bucket + "/*"}))})
	e.profile(prefix+"-eks-node", prefix+"-eks-node")
	node = e.instance(n, instanceOpts{profile: prefix + "-eks-node", hopLimit: hopLimit})
	cluster, _ = e.eksCluster(prefix, n)
	return bucket, role, node, cluster
}
