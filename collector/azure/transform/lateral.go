package transform

import (
	"net/netip"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of lateral movement inside virtual networks.
const (
	TechVNetMember  = "azure.network.vnet-member"
	TechVNetLateral = "azure.network.vnet-lateral"
	TechVNetPeering = "azure.network.vnet-peering"
)

// vnetNet is what peering and transit need about one virtual network.
type vnetNet struct {
	id    string
	space []netip.Prefix
	// read is set when the network's own record was read: only then are
	// its peerings (and their flags) known.
	read bool
	// peers are its peerings in state Connected, by remote network id.
	peers map[string]peerLink
}

// peerLink is one connected peering as the local network states it.
type peerLink struct {
	name string
	// forwarded: allowForwardedTraffic, traffic a virtual appliance of the
	// local network forwards (not originated in it) may cross into the
	// remote network.
	forwarded bool
	// useRemoteGateways / gatewayTransit: the local network sends traffic
	// to the remote network's gateway / lets the remote network use its own.
	useRemoteGateways, gatewayTransit bool
	// noAccess: allowVirtualNetworkAccess is false, the local network
	// may not reach the remote one over this peering.
	noAccess bool
}

// netDest is something reached inside a virtual network: a VM or scale
// set through its NIC, or a resource through a private endpoint.
type netDest struct {
	node         string
	vnet, subnet string
	// ips are its private addresses (none known: the subnet's prefix).
	ips []string
	// pe names the private endpoint (empty for a workload).
	pe string
	// noUDR is set on a private endpoint whose subnet's network policies
	// leave user-defined routes off: its replies take system routes.
	noUDR bool
	// open returns what the destination admits from the sources match
	// accepts (every port when no NSG filters), the NSGs that decided and
	// whether any NSG filtered.
	open func(match func(*inventory.SecurityRule) bool) (openSet, []string, bool)
	// via describes how the destination is reached, for evidence.
	via string
}

// vnetIndex reads every virtual network's address space and connected
// peerings.
func (b *builder) vnetIndex() map[string]*vnetNet {
	out := map[string]*vnetNet{}
	for _, r := range b.inv.OfType(inventory.TypeVNet) {
		var p inventory.VNetProps
		if r.Decode(&p) != nil {
			continue
		}
		vn := &vnetNet{id: r.ID, read: true, peers: map[string]peerLink{}}
		for _, a := range p.AddressSpace.AddressPrefixes {
			if pf, err := netip.ParsePrefix(a); err == nil {
				vn.space = append(vn.space, pf)
			}
		}
		for _, pe := range p.Peerings {
			remote := pe.Properties.RemoteVirtualNetwork.LID()
			if remote == "" || !strings.EqualFold(pe.Properties.PeeringState, "Connected") {
				continue
			}
			vn.peers[remote] = peerLink{name: pe.Name, forwarded: pe.Properties.AllowForwarded,
				useRemoteGateways: pe.Properties.UseRemoteGateways, gatewayTransit: pe.Properties.AllowGatewayTransit,
				noAccess: pe.Properties.AllowVirtualNetworkAccess != nil && !*pe.Properties.AllowVirtualNetworkAccess}
		}
		out[r.ID] = vn
	}
	return out
}

// lateral draws network reach inside virtual networks through the network
// as a hub (2n edges instead of n²): every VM and scale set reaches its
// VNet; the VNet reaches every member whose NSGs admit traffic from the
// VNet (the default AllowVnetInBound rule does, on every port). Reach
// from peered networks is drawn by crossNetwork, straight to each member,
// so that it never chains across two peerings.
func (b *builder) lateral() {
	b.vnets = b.vnetIndex()
	for _, id := range sortedKeys(b.vnets) {
		if _, ok := b.owner[id]; !ok {
			continue
		}
		for remote := range b.vnets[id].peers {
			if _, ok := b.nodes[remote]; !ok {
				b.stub(graph.Node{ID: remote, Kind: graph.KindNetwork, NativeType: "Microsoft.Network/virtualNetworks", Name: short(remote),
					Account: inventory.SubscriptionOf(remote), Service: inventory.AreaNetwork})
			}
		}
	}
	members := func(ws string, nis []*nicInfo) {
		for _, ni := range nis {
			vnet := vnetOf(ni.subnet)
			if vnet == "" {
				continue
			}
			if _, ok := b.nodes[vnet]; !ok {
				continue
			}
			b.move(graph.Edge{From: ws, To: vnet, Kind: graph.EdgeReaches, Technique: TechVNetMember, Likelihood: 1,
				Evidence: []string{short(ni.id) + " is in subnet " + short(ni.subnet) + " of " + short(vnet)}})
			ni := ni
			b.dests = append(b.dests, &netDest{node: ws, vnet: vnet, subnet: ni.subnet, ips: ni.ips, via: short(ni.id),
				open: func(match func(*inventory.SecurityRule) bool) (openSet, []string, bool) {
					o, nsgs, filtered := b.nicOpenFrom(ni, match)
					if !filtered {
						o = everything()
					}
					return o, nsgs, filtered
				}})
			var space []netip.Prefix
			if vn := b.vnets[vnet]; vn != nil {
				space = vn.space
			}
			open, nsgs, filtered := b.nicOpenFrom(ni, ruleFromVNet(space))
			if filtered && open.empty() {
				continue
			}
			ev := "no NSG on the NIC or its subnet: every port is open inside the network"
			if filtered {
				ev = "NSG " + joinShort(nsgs) + " admits " + strings.Join(open.strings(), ", ") + " from the virtual network"
			} else {
				open = everything()
			}
			b.move(graph.Edge{From: vnet, To: ws, Kind: graph.EdgeReaches, Technique: TechVNetLateral, Likelihood: 0.6,
				Evidence: []string{ev}, Props: graph.Props{"ports": open.strings()}})
		}
	}
	for _, vm := range sortedKeys(b.vmNICs) {
		if _, ok := b.owner[vm]; !ok {
			continue
		}
		var nis []*nicInfo
		for _, nic := range b.vmNICs[vm] {
			if ni := b.nics[nic]; ni != nil {
				nis = append(nis, ni)
			}
		}
		members(vm, nis)
	}
	for _, ss := range sortedKeys(b.scaleSets) {
		members(ss, b.scaleSets[ss])
	}
}

// vnetOf returns the VNet id of a subnet id.
func vnetOf(subnet string) string {
	if i := strings.Index(subnet, "/subnets/"); i > 0 {
		return subnet[:i]
	}
	return ""
}
