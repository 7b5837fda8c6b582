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

// lateral draws network reach inside virtual networks through the network
// as a hub (2n edges instead of n²): every VM and scale set reaches its
// VNet; the VNet reaches every member whose NSGs admit traffic from the
// VNet (the default AllowVnetInBound rule does, on every port); a
// connected peering lets one VNet reach the other.
func (b *builder) lateral() {
	spaces := map[string][]netip.Prefix{}
	for _, r := range b.inv.OfType(inventory.TypeVNet) {
		if _, ok := b.owner[r.ID]; !ok {
			continue
		}
		var p inventory.VNetProps
		_ = r.Decode(&p)
		for _, a := range p.AddressSpace.AddressPrefixes {
			if pf, err := netip.ParsePrefix(a); err == nil {
				spaces[r.ID] = append(spaces[r.ID], pf)
			}
		}
		for _, pe := range p.Peerings {
			remote := pe.Properties.RemoteVirtualNetwork.LID()
			if remote == "" || !strings.EqualFold(pe.Properties.PeeringState, "Connected") {
				continue
			}
			if _, ok := b.nodes[remote]; !ok {
				b.stub(graph.Node{ID: remote, Kind: graph.KindNetwork, NativeType: "Microsoft.Network/virtualNetworks", Name: short(remote),
					Account: inventory.SubscriptionOf(remote), Service: inventory.AreaNetwork})
			}
			b.move(graph.Edge{From: r.ID, To: remote, Kind: graph.EdgeReaches, Technique: TechVNetPeering, Likelihood: 1,
				Evidence: []string{"peering " + pe.Name + " connects " + r.Name + " to " + short(remote)}})
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
			open, nsgs, filtered := b.nicOpenFrom(ni, ruleFromVNet(spaces[vnet]))
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
