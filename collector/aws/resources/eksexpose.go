package resources

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/portset"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of pods reached from the Internet through what exposes them
// (docs/aws-transform.md, "EKS workloads"). A Service or Ingress whose load
// balancer is in the inventory (status.loadBalancer hostname = its DNS
// name) goes through that load balancer's moves instead: Internet ->
// load balancer (aws.elb.internet-facing) -> workload
// (aws.elb.forward-to-target), its targets (a node's NodePort, a pod's IP)
// resolved to the workloads the Service selects, as ECS host ports are.
const (
	// TechEKSServiceInternet: a LoadBalancer Service or an ALB Ingress
	// whose load balancer was not inventoried, internet-facing by its
	// annotations and open to a broad source range, exposes the pods it
	// selects.
	TechEKSServiceInternet = "aws.eks.service-internet-facing"
	// TechEKSNodePortInternet: a Service's NodePort is open on every node;
	// a node with a public address whose security groups and network ACL
	// admit the port exposes the Service's pods.
	TechEKSNodePortInternet = "aws.eks.nodeport-internet-exposed"
)

// RuleEKSWorkloadExposed: pods reachable from the Internet through a
// Service or Ingress.
const RuleEKSWorkloadExposed = "aws.eks.workload-internet-exposed"

// Annotations of the in-tree cloud provider and of the AWS Load Balancer
// Controller (its documented service and ingress annotations).
const (
	annLBType         = "service.beta.kubernetes.io/aws-load-balancer-type"
	annLBScheme       = "service.beta.kubernetes.io/aws-load-balancer-scheme"
	annLBInternal     = "service.beta.kubernetes.io/aws-load-balancer-internal"
	annALBScheme      = "alb.ingress.kubernetes.io/scheme"
	annALBInbound     = "alb.ingress.kubernetes.io/inbound-cidrs"
	annALBListenPorts = "alb.ingress.kubernetes.io/listen-ports"
	annALBCertificate = "alb.ingress.kubernetes.io/certificate-arn"
	annALBSGs         = "alb.ingress.kubernetes.io/security-groups"
	// lbcServiceClass is the loadBalancerClass the controller serves.
	lbcServiceClass = "service.k8s.aws/nlb"
)

// kubeExposure is a Service or Ingress exposing workloads, decided in
// reachability once every load balancer and network member exists.
type kubeExposure struct {
	x         *regionIndex
	what      string // "Service apps/web (LoadBalancer)"
	workloads []*workload
	// hostnames are the load balancer DNS names in the object's status.
	hostnames []string
	// internetFacing and schemeWhy: the scheme its annotations give.
	internetFacing bool
	schemeWhy      string
	sourceRanges   []string
	// listen are the load balancer's ports; empty for a NodePort Service.
	listen protoPorts
	// nodePorts are open on every node in hosts.
	nodePorts protoPorts
	hosts     []string
	// conditional: the load balancer's own security groups are named by
	// an annotation and unknown here.
	conditional bool
	condWhy     string
}

// podTarget is a pod address an ip-mode target group may name.
type podTarget struct {
	id  string
	sgs []string
}

// selectorMatches reports whether labels satisfy a Service's equality
// selector; an empty selector selects nothing (its endpoints are managed
// by hand and not read).
func selectorMatches(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// labelSelectorMatches evaluates a metav1.LabelSelector; nil selects
// everything, as the namespaceSelector of a webhook does.
func labelSelectorMatches(sel *inventory.KubeLabelSelector, labels map[string]string) bool {
	if sel == nil {
		return true
	}
	for k, v := range sel.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, e := range sel.MatchExpressions {
		got, has := labels[e.Key]
		switch e.Operator {
		case "In":
			if !has || !slices.Contains(e.Values, got) {
				return false
			}
		case "NotIn":
			if has && slices.Contains(e.Values, got) {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// selected returns the workloads of the namespace with a pod the selector matches.
func selected(workloads []*workload, namespace string, sel map[string]string) []*workload {
	var out []*workload
	for _, w := range workloads {
		if w.namespace != namespace {
			continue
		}
		for _, p := range w.pods {
			if selectorMatches(sel, p.Labels) {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// serviceScheme decides whether a LoadBalancer Service's load balancer is
// internet-facing. An aws-load-balancer-scheme annotation decides (only the
// AWS Load Balancer Controller reads it, and its webhook claims new
// LoadBalancer Services by default); without it the controller
// (loadBalancerClass service.k8s.aws/nlb, or type external / nlb-ip)
// defaults to internal, and the in-tree cloud provider to internet-facing
// unless aws-load-balancer-internal is set. ok is false for another
// controller's class.
func serviceScheme(sv *inventory.KubeService) (facing bool, why string, ok bool) {
	lbType := sv.Annotations[annLBType]
	lbc := sv.LoadBalancerClass == lbcServiceClass || lbType == "external" || lbType == "nlb-ip"
	if sv.LoadBalancerClass != "" && sv.LoadBalancerClass != lbcServiceClass {
		return false, "", false
	}
	if v := sv.Annotations[annLBScheme]; v != "" {
		return v == "internet-facing", annLBScheme + ": " + v, true
	}
	if lbc {
		return false, "the AWS Load Balancer Controller's default scheme is internal", true
	}
	if v := sv.Annotations[annLBInternal]; v != "" && v != "false" {
		return false, annLBInternal + ": " + v, true
	}
	return true, "in-tree cloud provider load balancer, internet-facing by default (no " + annLBInternal + ")", true
}

// ingressListen returns an ALB Ingress's listener ports: the listen-ports
// annotation ([{"HTTP": 80}, {"HTTPS": 443}]), else HTTPS 443 with a
// certificate and HTTP 80 without, as the controller defaults.
func ingressListen(ann map[string]string) protoPorts {
	var pp protoPorts
	var list []map[string]int32
	if err := json.Unmarshal([]byte(ann[annALBListenPorts]), &list); err == nil {
		for _, m := range list {
			for _, p := range m {
				pp[protoTCP] = pp[protoTCP].Union(portset.Single(p))
			}
		}
	}
	if pp.empty() {
		if ann[annALBCertificate] != "" {
			return singleTCP(443)
		}
		return singleTCP(80)
	}
	return pp
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// eksServices records what exposes the cluster's workloads: NodePorts are
// registered as host ports of every node and pod IPs as targets, so a load
// balancer in the inventory forwards to the pods; Services and Ingresses
// are kept for reachability.
func (b *builder) eksServices(x *regionIndex, ks *inventory.KubeState, workloads []*workload, hosts []string) {
	services := map[string]*inventory.KubeService{}
	for i := range ks.Services {
		sv := &ks.Services[i]
		services[sv.Namespace+"/"+sv.Name] = sv
	}
	for _, w := range workloads {
		for _, p := range w.pods {
			if p.IP == "" || p.HostNetwork {
				continue
			}
			if m := b.memberByID(w.id); m != nil {
				if b.podIPs == nil {
					b.podIPs = map[string]podTarget{}
				}
				b.podIPs[x.name+"|"+p.IP] = podTarget{id: w.id, sgs: m.sgs}
			}
		}
	}
	for i := range ks.Services {
		sv := &ks.Services[i]
		if sv.Type != "NodePort" && sv.Type != "LoadBalancer" {
			continue
		}
		ws := selected(workloads, sv.Namespace, sv.Selector)
		if len(ws) == 0 {
			continue
		}
		e := kubeExposure{x: x, what: fmt.Sprintf("Service %s/%s (%s)", sv.Namespace, sv.Name, sv.Type), workloads: ws,
			hostnames: sv.Hostnames, hosts: hosts, sourceRanges: sv.SourceRanges}
		for _, p := range sv.Ports {
			proto := protoTCP
			if strings.EqualFold(p.Protocol, "UDP") {
				proto = protoUDP
			}
			e.listen[proto] = e.listen[proto].Union(portset.Single(p.Port))
			if p.NodePort == 0 {
				continue
			}
			e.nodePorts[proto] = e.nodePorts[proto].Union(portset.Single(p.NodePort))
			// kube-proxy forwards a NodePort on every node to the selected
			// pods wherever they run.
			for _, h := range hosts {
				k := fmt.Sprintf("%s|%d", h, p.NodePort)
				if b.hostPorts == nil {
					b.hostPorts = map[string][]string{}
				}
				for _, w := range ws {
					if !slices.Contains(b.hostPorts[k], w.id) {
						b.hostPorts[k] = append(b.hostPorts[k], w.id)
					}
				}
			}
		}
		if sv.Type == "LoadBalancer" {
			facing, why, ok := serviceScheme(sv)
			if !ok {
				b.log.Debug("eks: LoadBalancer Service of another controller", "service", sv.Namespace+"/"+sv.Name, "class", sv.LoadBalancerClass)
				e.listen = protoPorts{}
			}
			e.internetFacing, e.schemeWhy = facing, why
		} else {
			e.listen = protoPorts{}
		}
		b.kubeExposures = append(b.kubeExposures, e)
	}
	for _, in := range ks.Ingresses {
		// Class alb is the controller's documented IngressClass; an Ingress
		// without a class that carries the controller's annotations is its
		// (the default IngressClass is not read).
		if in.Class != "alb" && (in.Class != "" || len(in.Annotations) == 0) {
			// Another controller (ingress-nginx, Traefik, ...) runs in the
			// cluster behind its own Service; its routing is not modelled.
			continue
		}
		var ws []*workload
		for _, be := range in.Backends {
			name, _, _ := strings.Cut(be, ":")
			if sv := services[in.Namespace+"/"+name]; sv != nil {
				for _, w := range selected(workloads, sv.Namespace, sv.Selector) {
					if !slices.Contains(ws, w) {
						ws = append(ws, w)
					}
				}
			}
		}
		if len(ws) == 0 {
			continue
		}
		scheme := in.Annotations[annALBScheme]
		e := kubeExposure{x: x, what: fmt.Sprintf("Ingress %s/%s (AWS Load Balancer Controller)", in.Namespace, in.Name), workloads: ws, hostnames: in.Hostnames,
			internetFacing: scheme == "internet-facing", listen: ingressListen(in.Annotations), sourceRanges: splitList(in.Annotations[annALBInbound])}
		e.schemeWhy = annALBScheme + ": " + scheme
		if scheme == "" {
			e.schemeWhy = "no " + annALBScheme + ": the AWS Load Balancer Controller's default scheme is internal"
		}
		if sgs := in.Annotations[annALBSGs]; sgs != "" {
			e.conditional, e.condWhy = true, "the ALB's security groups are set by "+annALBSGs+" ("+sgs+") and its load balancer is not in the inventory: inbound-cidrs do not apply"
		}
		b.kubeExposures = append(b.kubeExposures, e)
	}
}

// lbByDNS returns the inventoried load balancer with one of the DNS names.
func (b *builder) lbByDNS(x *regionIndex, names []string) *lbInfo {
	for i := range b.lbs {
		lb := &b.lbs[i]
		if lb.region == x && lb.lb.DNSName != "" && slices.Contains(names, strings.ToLower(lb.lb.DNSName)) {
			return lb
		}
	}
	return nil
}

// kubeExposureMoves adds the Internet moves of the Services and Ingresses:
// through their inventoried load balancer (its own moves, plus a
// conditional forward when it lists no targets at all), else directly
// from their annotations and source ranges; and through NodePorts on
// public nodes.
func (b *builder) kubeExposureMoves(cache map[string]*exposure) {
	for _, e := range b.kubeExposures {
		x := e.x
		if !e.nodePorts.empty() {
			for _, h := range e.hosts {
				m := b.memberByID(h)
				if m == nil || !(m.v4 || m.v6) {
					continue
				}
				np := e.nodePorts
				ex := b.internetExposure(x, reachQuery{sgIDs: m.sgs, subnets: m.subnets, v4: m.v4, v6: m.v6, restrict: &np}, cache)
				if !ex.ok() {
					continue
				}
				for _, w := range e.workloads {
					f := b.flag(RuleEKSWorkloadExposed, w.id, graph.SeverityHigh, fmt.Sprintf("%s: NodePort %s open to the Internet on node %s", e.what, strings.Join(ex.ports.strings(), " "), arnName(h)))
					b.expose(w.id, TechEKSNodePortInternet, ex, 0, append([]string{f}, b.exposureFindings(x, ex, m.subnets)...),
						fmt.Sprintf("%s opens NodePort %s on every node; kube-proxy forwards it to the selected pods wherever they run", e.what, strings.Join(ex.ports.strings(), " ")),
						fmt.Sprintf("node %s has a public address", arnName(h)))
				}
				break
			}
		}
		if e.listen.empty() {
			continue
		}
		if lb := b.lbByDNS(x, e.hostnames); lb != nil {
			b.kubeLBForward(e, lb)
			continue
		}
		if !e.internetFacing {
			continue
		}
		ranges := e.sourceRanges
		if len(ranges) == 0 {
			ranges = []string{"0.0.0.0/0"}
		}
		var broad []string
		for _, r := range ranges {
			if p, ok := parsePrefix(r); ok && b.broadPublic(p) {
				broad = append(broad, r)
			}
		}
		if len(broad) == 0 && !e.conditional {
			b.log.Debug("eks: internet-facing load balancer limited to narrow source ranges", "object", e.what, "ranges", ranges)
			continue
		}
		ex := &exposure{ports: e.listen, evidence: []string{e.what + " selects the pods; " + e.schemeWhy}}
		if len(broad) > 0 {
			ex.evidence = append(ex.evidence, "source ranges "+strings.Join(broad, ", "))
		}
		how := "load balancer not in the inventory: decided from the object's annotations and source ranges"
		for _, w := range e.workloads {
			f := b.flag(RuleEKSWorkloadExposed, w.id, graph.SeverityHigh, fmt.Sprintf("%s exposes it on %s (%s)", e.what, strings.Join(e.listen.strings(), " "), e.schemeWhy))
			edge := b.expose(w.id, TechEKSServiceInternet, ex, 0, []string{f}, how)
			if e.conditional {
				edge.Conditional = true
				edge.Evidence = append(edge.Evidence, e.condWhy)
			}
		}
	}
}

// kubeLBForward covers a Service's or Ingress's inventoried load balancer
// whose target groups list no target at all (not yet registered, or not
// read): the controller registers the selected pods (ip mode) or the nodes'
// NodePorts (instance mode), so the forward is drawn, conditional. With
// targets listed, loadBalancerMoves resolves them to the pods.
func (b *builder) kubeLBForward(e kubeExposure, lb *lbInfo) {
	if lb.lb.Scheme == "internet-facing" {
		for _, w := range e.workloads {
			b.flag(RuleEKSWorkloadExposed, w.id, graph.SeverityHigh, fmt.Sprintf("%s exposes it through internet-facing load balancer %s", e.what, lb.lb.Name))
		}
	}
	tgs := map[string]bool{}
	for _, l := range lb.lb.Listeners {
		for _, t := range l.TargetGroupARNs {
			tgs[t] = true
		}
	}
	for _, tg := range e.x.d.TargetGroups {
		if tgs[tg.ARN] && len(tg.Targets) > 0 {
			return
		}
	}
	if len(lb.lb.InstanceIDs) > 0 {
		return
	}
	for _, w := range e.workloads {
		b.edge(graph.Edge{From: lb.id, To: w.id, Kind: graph.EdgeTargets, Props: graph.Props{"via": []string{e.what}}})
		b.edge(graph.Edge{From: lb.id, To: w.id, Kind: graph.EdgeReaches, Technique: TechELBForward, Conditional: true,
			Evidence: []string{fmt.Sprintf("%s is load balancer %s (status hostname %s); its target groups list no targets, the controller registers the selected pods", e.what, lb.lb.Name, lb.lb.DNSName)},
			Props:    graph.Props{"ports": e.listen.strings()}})
	}
}
