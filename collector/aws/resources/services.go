package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/portset"
)

// unknownServiceLikelihood is the likelihood of an exposure where nothing
// says what answers on the open ports: an open port with no known service
// is often closed on the host or a service nobody can exploit.
const unknownServiceLikelihood = 0.5

// wellKnownPorts are services an exposed port almost always means on an
// instance.
var wellKnownPorts = map[int32]string{22: "SSH", 3389: "RDP", 80: "HTTP", 443: "HTTPS", 5985: "WinRM", 5986: "WinRM (TLS)"}

// serviceHints map words seen in an instance's tags or AMI name to the
// ports that service listens on.
var serviceHints = []struct {
	word  string
	ports []int32
}{
	{"nginx", []int32{80, 443}}, {"apache", []int32{80, 443}}, {"httpd", []int32{80, 443}}, {"wordpress", []int32{80, 443}},
	{"iis", []int32{80, 443}}, {"drupal", []int32{80, 443}}, {"gitlab", []int32{22, 80, 443}}, {"jenkins", []int32{8080}},
	{"tomcat", []int32{8080, 8443}}, {"mysql", []int32{3306}}, {"mariadb", []int32{3306}}, {"postgres", []int32{5432}},
	{"redis", []int32{6379}}, {"mongo", []int32{27017}}, {"elasticsearch", []int32{9200, 9300}}, {"opensearch", []int32{9200}},
	{"kibana", []int32{5601}}, {"grafana", []int32{3000}}, {"jupyter", []int32{8888}}, {"rabbitmq", []int32{5672, 15672}},
	{"bastion", []int32{22}}, {"jump", []int32{22}}, {"openvpn", []int32{1194, 443}}, {"squid", []int32{3128}}, {"proxy", []int32{3128, 8080}},
}

// exposedServices names what answers on each exposed TCP port of an
// instance: a container mapping the host port, a load balancer target
// group forwarding there, a service its tags or AMI name announce, a
// well-known port; the rest is "open port, service unknown". It returns
// the evidence lines, the per-port descriptions and whether any port has a
// known answer.
func (b *builder) exposedServices(x *regionIndex, id string, inst *inventory.Instance, open protoPorts) (evidence, services []string, known bool) {
	named := map[int32]string{}
	name := func(p int32, what string) {
		if _, ok := named[p]; !ok && open[protoTCP].Has(p) {
			named[p] = what
		}
	}
	for k, tds := range b.hostPorts {
		host, port, ok := strings.Cut(k, "|")
		var p int32
		if _, err := fmt.Sscan(port, &p); !ok || err != nil || host != id {
			continue
		}
		name(p, "container of "+strings.Join(tds, ", ")+" (ECS host port or Kubernetes NodePort)")
	}
	for _, tg := range x.d.TargetGroups {
		for _, t := range tg.Targets {
			if t.ID != inst.ID || tg.TargetType == "lambda" || tg.TargetType == "ip" {
				continue
			}
			p := t.Port
			if p == 0 {
				p = tg.Port
			}
			name(p, fmt.Sprintf("served: load balancer target group %s forwards to it", tg.Name))
		}
	}
	var words []string
	for k, v := range inst.Tags {
		words = append(words, strings.ToLower(k), strings.ToLower(v))
	}
	for _, img := range x.d.Images {
		if img.ID == inst.ImageID && img.Name != "" {
			words = append(words, strings.ToLower(img.Name))
		}
	}
	slices.Sort(words) // tags come from a map: keep the evidence stable
	for _, h := range serviceHints {
		for _, w := range words {
			if strings.Contains(w, h.word) {
				for _, p := range h.ports {
					name(p, fmt.Sprintf("%s (from the instance's tags / AMI name %q)", h.word, w))
				}
				break
			}
		}
	}
	for p, svc := range wellKnownPorts {
		name(p, svc+" (well-known port)")
	}
	ports := make([]int32, 0, len(named))
	for p := range named {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	rest := open
	for _, p := range ports {
		services = append(services, fmt.Sprintf("%d/tcp: %s", p, named[p]))
		rest[protoTCP] = rest[protoTCP].Minus(portset.Single(p))
	}
	if !rest.empty() {
		services = append(services, strings.Join(rest.strings(), " ")+": open port, service unknown")
	}
	known = len(ports) > 0
	evidence = append(evidence, "what answers: "+strings.Join(services, "; "))
	if !known {
		evidence = append(evidence, fmt.Sprintf("no known service on the exposed ports: likelihood lowered to %.1f", unknownServiceLikelihood))
	}
	return evidence, services, known
}
