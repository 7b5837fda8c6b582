package fetch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// The v1 shapes of what exposes pods (Services, Ingresses), restricts their
// ingress (NetworkPolicies) and admits them (Namespaces' Pod Security
// Admission labels, ValidatingWebhookConfigurations), reduced to the fields
// the collector reads.

// keepAnnotations returns the annotations under one of the prefixes: the
// load balancer settings, never an application's own annotations.
func keepAnnotations(all map[string]string, prefixes ...string) map[string]string {
	var out map[string]string
	for k, v := range all {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				if out == nil {
					out = map[string]string{}
				}
				out[k] = v
			}
		}
	}
	return out
}

type kubeLBStatus struct {
	LoadBalancer struct {
		Ingress []struct {
			Hostname string `json:"hostname"`
			IP       string `json:"ip"`
		} `json:"ingress"`
	} `json:"loadBalancer"`
}

func (s kubeLBStatus) hostnames() []string {
	var out []string
	for _, i := range s.LoadBalancer.Ingress {
		if i.Hostname != "" {
			out = appendUniqueString(out, strings.ToLower(i.Hostname))
		}
	}
	return out
}

// intOrString renders an IntOrString (a Service targetPort, an Ingress
// backend port) as text.
func intOrString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return fmt.Sprint(n)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

type kubeService struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		Type                     string            `json:"type"`
		Selector                 map[string]string `json:"selector"`
		LoadBalancerClass        string            `json:"loadBalancerClass"`
		LoadBalancerSourceRanges []string          `json:"loadBalancerSourceRanges"`
		Ports                    []struct {
			Name       string          `json:"name"`
			Protocol   string          `json:"protocol"`
			Port       int32           `json:"port"`
			NodePort   int32           `json:"nodePort"`
			TargetPort json.RawMessage `json:"targetPort"`
		} `json:"ports"`
	} `json:"spec"`
	Status kubeLBStatus `json:"status"`
}

// sourceRangesAnnotation is the annotation form of loadBalancerSourceRanges
// (the field wins when both are set).
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

func (s kubeService) inventory() inventory.KubeService {
	out := inventory.KubeService{Namespace: s.Metadata.Namespace, Name: s.Metadata.Name, Type: s.Spec.Type, Selector: s.Spec.Selector,
		LoadBalancerClass: s.Spec.LoadBalancerClass, SourceRanges: s.Spec.LoadBalancerSourceRanges,
		Annotations: keepAnnotations(s.Metadata.Annotations, "service.beta.kubernetes.io/"), Hostnames: s.Status.hostnames()}
	if out.Type == "" {
		out.Type = "ClusterIP"
	}
	if len(out.SourceRanges) == 0 {
		for _, r := range strings.Split(s.Metadata.Annotations[sourceRangesAnnotation], ",") {
			if r = strings.TrimSpace(r); r != "" {
				out.SourceRanges = append(out.SourceRanges, r)
			}
		}
	}
	for _, p := range s.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = "TCP"
		}
		out.Ports = append(out.Ports, inventory.KubeServicePort{Name: p.Name, Protocol: proto, Port: p.Port, NodePort: p.NodePort, TargetPort: intOrString(p.TargetPort)})
	}
	return out
}

type kubeBackend struct {
	Service *struct {
		Name string `json:"name"`
		Port struct {
			Number int32  `json:"number"`
			Name   string `json:"name"`
		} `json:"port"`
	} `json:"service"`
}

func (b kubeBackend) ref() string {
	if b.Service == nil || b.Service.Name == "" {
		return ""
	}
	port := b.Service.Port.Name
	if b.Service.Port.Number != 0 {
		port = fmt.Sprint(b.Service.Port.Number)
	}
	return b.Service.Name + ":" + port
}

type kubeIngress struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		IngressClassName string       `json:"ingressClassName"`
		DefaultBackend   *kubeBackend `json:"defaultBackend"`
		Rules            []struct {
			HTTP *struct {
				Paths []struct {
					Backend kubeBackend `json:"backend"`
				} `json:"paths"`
			} `json:"http"`
		} `json:"rules"`
	} `json:"spec"`
	Status kubeLBStatus `json:"status"`
}

func (i kubeIngress) inventory() inventory.KubeIngress {
	out := inventory.KubeIngress{Namespace: i.Metadata.Namespace, Name: i.Metadata.Name, Class: i.Spec.IngressClassName,
		Annotations: keepAnnotations(i.Metadata.Annotations, "alb.ingress.kubernetes.io/"), Hostnames: i.Status.hostnames()}
	if out.Class == "" {
		out.Class = i.Metadata.Annotations["kubernetes.io/ingress.class"]
	}
	add := func(b kubeBackend) {
		if r := b.ref(); r != "" {
			out.Backends = appendUniqueString(out.Backends, r)
		}
	}
	if i.Spec.DefaultBackend != nil {
		add(*i.Spec.DefaultBackend)
	}
	for _, r := range i.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			add(p.Backend)
		}
	}
	return out
}

type kubeLabelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	} `json:"matchExpressions"`
}

func (s *kubeLabelSelector) inventory() *inventory.KubeLabelSelector {
	if s == nil {
		return nil
	}
	out := &inventory.KubeLabelSelector{MatchLabels: s.MatchLabels}
	for _, e := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, inventory.KubeSelectorCondition{Key: e.Key, Operator: e.Operator, Values: e.Values})
	}
	return out
}

type kubeWebhookConfiguration struct {
	Metadata kubeMeta `json:"metadata"`
	Webhooks []struct {
		Name              string             `json:"name"`
		FailurePolicy     string             `json:"failurePolicy"`
		NamespaceSelector *kubeLabelSelector `json:"namespaceSelector"`
		Rules             []struct {
			APIGroups  []string `json:"apiGroups"`
			Operations []string `json:"operations"`
			Resources  []string `json:"resources"`
		} `json:"rules"`
	} `json:"webhooks"`
}

// podWebhooks returns the configuration's webhooks that review the
// creation of pods: a rule on the core group (or "*"), operation CREATE (or
// "*"), resource pods (or "*", "*/*").
func (c kubeWebhookConfiguration) podWebhooks() []inventory.KubeWebhook {
	var out []inventory.KubeWebhook
	for _, w := range c.Webhooks {
		reviews := false
		for _, r := range w.Rules {
			group := slices.Contains(r.APIGroups, "") || slices.Contains(r.APIGroups, "*")
			op := slices.Contains(r.Operations, "CREATE") || slices.Contains(r.Operations, "*")
			res := slices.ContainsFunc(r.Resources, func(x string) bool { return x == "pods" || x == "*" || x == "*/*" })
			if group && op && res {
				reviews = true
				break
			}
		}
		if reviews {
			out = append(out, inventory.KubeWebhook{Configuration: c.Metadata.Name, Name: w.Name, FailurePolicy: w.FailurePolicy,
				NamespaceSelector: w.NamespaceSelector.inventory()})
		}
	}
	return out
}

type kubeNetworkPolicy struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		PodSelector kubeLabelSelector `json:"podSelector"`
		PolicyTypes []string          `json:"policyTypes"`
		Ingress     []json.RawMessage `json:"ingress"`
		Egress      []json.RawMessage `json:"egress"`
	} `json:"spec"`
}

// inventory keeps which pods the policy isolates for ingress and how many
// rules let traffic in. policyTypes defaults to Ingress (plus Egress when
// egress rules exist), as the API server does.
func (p kubeNetworkPolicy) inventory() inventory.KubeNetworkPolicy {
	ingress := len(p.Spec.PolicyTypes) == 0 || slices.Contains(p.Spec.PolicyTypes, "Ingress")
	return inventory.KubeNetworkPolicy{Namespace: p.Metadata.Namespace, Name: p.Metadata.Name, PodSelector: *p.Spec.PodSelector.inventory(),
		Ingress: ingress, IngressRules: len(p.Spec.Ingress)}
}
