package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// podPolicy is what NetworkPolicies say about the ingress of one
// workload's pods.
type podPolicy struct {
	names []string // "namespace/name" of the policies isolating them
	rules int      // their ingress rules, all together (0: deny all ingress)
	// engine names the network policy engine seen running in the cluster,
	// "" when none was; enforcing is true when that engine enforces
	// NetworkPolicies whenever it runs (Calico, Cilium).
	engine    string
	enforcing bool
}

// policyEngine returns the network policy engine whose pods run in the
// cluster. The VPC CNI's network policy agent ships in aws-node since CNI
// 1.14 but enforces only when the add-on's enableNetworkPolicy is set,
// which the collector does not read.
func policyEngine(workloads []*workload) (name string, enforcing bool) {
	for _, w := range workloads {
		for _, p := range w.pods {
			for _, c := range p.Containers {
				img := strings.ToLower(c.Image)
				switch {
				case strings.Contains(img, "calico/node"), strings.Contains(img, "cilium/cilium"):
					return c.Image, true
				case strings.Contains(img, "aws-network-policy-agent") || c.Name == "aws-network-policy-agent":
					name = c.Image
				}
			}
		}
	}
	return name, false
}

// eksNetworkPolicies records the workloads whose pods NetworkPolicies
// isolate for ingress (a policy of their namespace whose pod selector
// matches one of their pods and whose policy types include Ingress).
func (b *builder) eksNetworkPolicies(ks *inventory.KubeState, workloads []*workload) {
	if len(ks.NetworkPolicies) == 0 {
		return
	}
	engine, enforcing := policyEngine(workloads)
	for _, w := range workloads {
		var pp *podPolicy
		for i := range ks.NetworkPolicies {
			np := &ks.NetworkPolicies[i]
			if !np.Ingress || np.Namespace != w.namespace {
				continue
			}
			if !slices.ContainsFunc(w.pods, func(p *inventory.KubePod) bool { return labelSelectorMatches(&np.PodSelector, p.Labels) }) {
				continue
			}
			if pp == nil {
				pp = &podPolicy{engine: engine, enforcing: enforcing}
			}
			pp.names = append(pp.names, np.Namespace+"/"+np.Name)
			pp.rules += np.IngressRules
		}
		if pp != nil {
			if b.podPolicies == nil {
				b.podPolicies = map[string]*podPolicy{}
			}
			b.podPolicies[w.id] = pp
		}
	}
}

// applyNetworkPolicies limits the lateral network moves (security group
// reach, within and across VPCs) into isolated pods: a deny-all ingress
// policy removes them where an enforcing engine runs and makes them
// conditional otherwise; a policy with ingress rules makes them
// conditional (its peers — pod, namespace and ipBlock selectors — are not
// evaluated). Internet and load balancer moves are left as they are.
func (b *builder) applyNetworkPolicies() {
	if len(b.podPolicies) == 0 {
		return
	}
	lateral := map[string]bool{TechSGReach: true, TechSGHub: true, TechCrossVPCReach: true}
	drop := map[graph.EdgeKey]bool{}
	for _, k := range b.eorder {
		e := b.edges[k]
		pp := b.podPolicies[e.To]
		if pp == nil || e.Kind != graph.EdgeReaches || !lateral[e.Technique] {
			continue
		}
		names := strings.Join(pp.names, ", ")
		switch {
		case pp.rules == 0 && pp.enforcing:
			drop[k] = true
			continue
		case pp.rules == 0:
			why := "no network policy engine was seen running (Calico, Cilium); NetworkPolicies are enforced only where one runs"
			if pp.engine != "" {
				why = "the VPC CNI network policy agent (" + pp.engine + ") runs; it enforces NetworkPolicies only when the add-on's enableNetworkPolicy is set, which is not read"
			}
			e.Evidence = append(e.Evidence, fmt.Sprintf("NetworkPolicy %s denies all ingress to these pods; %s", names, why))
		default:
			e.Evidence = append(e.Evidence, fmt.Sprintf("NetworkPolicy %s admits only the peers its %d ingress rule(s) name (not evaluated)", names, pp.rules))
		}
		e.Conditional = true
	}
	if len(drop) == 0 {
		return
	}
	for k := range drop {
		delete(b.edges, k)
	}
	b.eorder = slices.DeleteFunc(b.eorder, func(k graph.EdgeKey) bool { return drop[k] })
	b.log.Debug("eks: lateral moves removed by deny-all NetworkPolicies", "edges", len(drop))
}
