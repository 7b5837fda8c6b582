package resources

import (
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// regionIndex resolves the ids one region's resources use to refer to each
// other.
type regionIndex struct {
	name string
	d    *inventory.RegionData

	vpcs         map[string]*inventory.VPC
	subnets      map[string]*inventory.Subnet
	rtBySubnet   map[string]*inventory.RouteTable
	mainRT       map[string]*inventory.RouteTable // by VPC id
	igws         map[string]*inventory.InternetGateway
	sgs          map[string]*inventory.SecurityGroup
	naclBySubnet map[string]*inventory.NetworkACL
	defaultNACL  map[string]*inventory.NetworkACL // by VPC id
	enis         map[string]*inventory.NetworkInterface
	enisByInst   map[string][]*inventory.NetworkInterface
	eipByENI     map[string][]*inventory.ElasticIP
	eipByInst    map[string][]*inventory.ElasticIP
	instances    map[string]*inventory.Instance
	dbInstances  map[string]*inventory.DBInstance
	dbClusters   map[string]*inventory.DBCluster
	links        *vpcLinks
	endpoints    map[string]*inventory.VPCEndpoint
}

func (b *builder) indexRegion(d *inventory.RegionData) *regionIndex {
	x := &regionIndex{
		name: d.Region, d: d,
		vpcs: map[string]*inventory.VPC{}, subnets: map[string]*inventory.Subnet{},
		rtBySubnet: map[string]*inventory.RouteTable{}, mainRT: map[string]*inventory.RouteTable{},
		igws: map[string]*inventory.InternetGateway{}, sgs: map[string]*inventory.SecurityGroup{},
		naclBySubnet: map[string]*inventory.NetworkACL{}, defaultNACL: map[string]*inventory.NetworkACL{},
		enis: map[string]*inventory.NetworkInterface{}, enisByInst: map[string][]*inventory.NetworkInterface{},
		eipByENI: map[string][]*inventory.ElasticIP{}, eipByInst: map[string][]*inventory.ElasticIP{},
		instances: map[string]*inventory.Instance{}, dbInstances: map[string]*inventory.DBInstance{},
		dbClusters: map[string]*inventory.DBCluster{},
	}
	if x.name == "" {
		x.name = "unknown"
	}
	x.links = indexLinks(d)
	x.endpoints = map[string]*inventory.VPCEndpoint{}
	for i := range d.VPCEndpoints {
		x.endpoints[d.VPCEndpoints[i].ID] = &d.VPCEndpoints[i]
	}
	for i := range d.VPCs {
		x.vpcs[d.VPCs[i].ID] = &d.VPCs[i]
	}
	for i := range d.Subnets {
		x.subnets[d.Subnets[i].ID] = &d.Subnets[i]
	}
	for i := range d.RouteTables {
		rt := &d.RouteTables[i]
		for _, a := range rt.Associations {
			if a.Main {
				x.mainRT[rt.VPCID] = rt
			}
			if a.SubnetID != "" {
				x.rtBySubnet[a.SubnetID] = rt
			}
		}
	}
	for i := range d.InternetGateways {
		x.igws[d.InternetGateways[i].ID] = &d.InternetGateways[i]
	}
	for i := range d.SecurityGroups {
		x.sgs[d.SecurityGroups[i].ID] = &d.SecurityGroups[i]
	}
	for i := range d.NetworkACLs {
		n := &d.NetworkACLs[i]
		if n.IsDefault {
			x.defaultNACL[n.VPCID] = n
		}
		for _, s := range n.SubnetIDs {
			x.naclBySubnet[s] = n
		}
	}
	for i := range d.NetworkInterfaces {
		e := &d.NetworkInterfaces[i]
		x.enis[e.ID] = e
		if e.AttachedInstance != "" {
			x.enisByInst[e.AttachedInstance] = append(x.enisByInst[e.AttachedInstance], e)
		}
	}
	for i := range d.ElasticIPs {
		e := &d.ElasticIPs[i]
		if e.NetworkInterfaceID != "" {
			x.eipByENI[e.NetworkInterfaceID] = append(x.eipByENI[e.NetworkInterfaceID], e)
		}
		if e.InstanceID != "" {
			x.eipByInst[e.InstanceID] = append(x.eipByInst[e.InstanceID], e)
		}
	}
	for i := range d.Instances {
		x.instances[d.Instances[i].ID] = &d.Instances[i]
	}
	for i := range d.DBInstances {
		x.dbInstances[d.DBInstances[i].ID] = &d.DBInstances[i]
	}
	for i := range d.DBClusters {
		x.dbClusters[d.DBClusters[i].ID] = &d.DBClusters[i]
	}
	return x
}

// routeTable returns the subnet's route table: its explicit association, or
// the main table of its VPC.
func (x *regionIndex) routeTable(subnetID string) *inventory.RouteTable {
	if rt := x.rtBySubnet[subnetID]; rt != nil {
		return rt
	}
	if s := x.subnets[subnetID]; s != nil {
		return x.mainRT[s.VPCID]
	}
	return nil
}

// nacl returns the subnet's network ACL: its association, or the VPC's
// default ACL (every subnet is associated with one).
func (x *regionIndex) nacl(subnetID string) *inventory.NetworkACL {
	if n := x.naclBySubnet[subnetID]; n != nil {
		return n
	}
	if s := x.subnets[subnetID]; s != nil {
		return x.defaultNACL[s.VPCID]
	}
	return nil
}

// keyIndex resolves the many ways AWS names a KMS key (key id, key ARN,
// alias name, alias ARN) to the key's ARN.
type keyIndex struct {
	byRef map[string]string
	keys  map[string]*inventory.KMSKey
}

func newKeyIndex(b *builder) *keyIndex {
	k := &keyIndex{byRef: map[string]string{}, keys: map[string]*inventory.KMSKey{}}
	for region, d := range b.inv.Regional {
		if d == nil {
			continue
		}
		for i := range d.KMSKeys {
			key := &d.KMSKeys[i]
			arn := orARN(key.ARN, "arn:"+b.partition+":kms:"+region+":"+b.account+":key/"+key.ID)
			k.keys[arn] = key
			k.byRef[arn] = arn
			k.byRef[region+"|"+key.ID] = arn
			for _, a := range key.Aliases {
				k.byRef[region+"|"+a] = arn
				k.byRef["arn:"+b.partition+":kms:"+region+":"+b.account+":"+a] = arn
			}
		}
	}
	return k
}

// resolve returns the ARN of the key a resource in region refers to, or "".
func (k *keyIndex) resolve(region, ref string) string {
	if ref == "" {
		return ""
	}
	if strings.HasPrefix(ref, "arn:") {
		return k.byRef[ref]
	}
	return k.byRef[region+"|"+ref]
}
