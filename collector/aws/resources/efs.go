package resources

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// RuleEFSOpenToNFSClients: an EFS file system that any NFS client reaching
// one of its mount targets may mount, with no IAM decision.
const RuleEFSOpenToNFSClients = "aws.efs.file-system-open-to-nfs-clients"

// nfsPorts is what an EFS mount target serves: NFS on TCP 2049.
var nfsPorts = singleTCP(2049)

// NFSMount is a workload that reaches a mount target of a file system whose
// file-system policy decides who may mount it (IAM authorisation for NFS
// clients). The identity part decides, for the workload's roles, the
// elasticfilesystem:Client* actions under the file system's policy and the
// roles' own policies (either allowing suffices, AWS EFS user guide "Using
// IAM to control access to file systems"), and draws the mounts from the
// workload: the same role's credentials elsewhere reach no mount target.
type NFSMount struct {
	Workload   string   // the workload's node id
	Roles      []string // the roles its credentials are
	FileSystem string   // the file system's ARN
	Region     string
	Policy     string // the file-system policy
	Tags       map[string]string
	Evidence   []string // how the workload reaches the mount target
}

// fileSystem adds an EFS file system as a data store (its sensitivity from
// its tags, like every store) and each mount target as a place on the
// network where it answers NFS: a member in the mount target's subnet, at its
// address, behind its security groups, serving TCP 2049 only. Whether
// reaching it is mounting it depends on the file-system policy: with none (or
// one granting anonymous clients elasticfilesystem:ClientMount), network
// access suffices and reaching is reading; otherwise the identity part
// decides per role (NFSMount).
func (b *builder) fileSystem(x *regionIndex, fs *inventory.FileSystem) {
	r := x.name
	if fs.ARN == "" {
		fs.ARN = "arn:" + b.partition + ":elasticfilesystem:" + r + ":" + b.account + ":file-system/" + fs.ID
	}
	n := b.resource(fs.ARN, graph.KindBucket, "AWS::EFS::FileSystem", "efs", r, nameOr(fs.Name, fs.ID), fs.Tags)
	n.Props["encrypted"] = fs.Encrypted
	n.Props["file_system_policy"] = fs.Policy != ""
	n.Props["mount_targets"] = int64(len(fs.MountTargets))
	var aps []string
	for _, ap := range fs.AccessPoints {
		aps = append(aps, ap.ID)
	}
	if len(aps) > 0 {
		n.Props["access_points"] = aps
	}
	b.encryptedBy(fs.ARN, r, fs.KMSKeyID)
	open, unknown, why := b.efsOpen(fs)
	if b.efs == nil {
		b.efs = map[string]*efsInfo{}
	}
	info := &efsInfo{fs: fs, region: x, open: open || unknown, unknown: unknown, why: why}
	b.efs[fs.ARN] = info
	for _, mt := range fs.MountTargets {
		if mt.State != "" && !strings.EqualFold(mt.State, "available") && !strings.EqualFold(mt.State, "creating") {
			continue
		}
		if sid := b.subnetID(x, mt.SubnetID); sid != "" {
			b.edge(graph.Edge{From: fs.ARN, To: sid, Kind: graph.EdgeInSubnet})
		}
		for _, sg := range mt.SecurityGroupIDs {
			if sgID := b.sgID(x, sg); sgID != "" {
				b.edge(graph.Edge{From: fs.ARN, To: sgID, Kind: graph.EdgeProtectedBy})
			}
		}
		vpc := mt.VPCID
		if sub := x.subnets[mt.SubnetID]; sub != nil && vpc == "" {
			vpc = sub.VPCID
		}
		m := member{id: fs.ARN, region: x, vpc: vpc, sgs: mt.SecurityGroupIDs, subnets: []string{mt.SubnetID}, serves: &nfsPorts}
		if ip, err := netip.ParseAddr(mt.IPAddress); err == nil {
			m.blocks = []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}
		} else if sub := x.subnets[mt.SubnetID]; sub != nil {
			m.blocks = appendPrefix(m.blocks, sub.CIDRBlock)
		}
		b.addMember(m)
	}
}

// efsInfo is what the moves into a file system need.
type efsInfo struct {
	fs     *inventory.FileSystem
	region *regionIndex
	// open: a client that reaches a mount target mounts the file system
	// without an IAM decision; why says what makes it so.
	open bool
	why  string
	// unknown: the policy could not be read; reach is drawn conditional.
	unknown bool
	// gated are the workloads reaching a mount target of a policy-gated file
	// system, with the evidence of how (filled by lateral).
	gated []gatedReach
}

type gatedReach struct {
	workload string
	evidence string
}

// efsOpen decides whether NFS clients need IAM authorisation: EFS's default
// policy (none set) gives every client that reaches a mount target full
// access; a policy set is evaluated for an anonymous client (one mounting
// without the mount helper's iam option) connecting through a mount target
// with TLS, which the attacker chooses. A policy that could not be read or
// parsed is unknown: reaching a mount target then mounts only perhaps.
func (b *builder) efsOpen(fs *inventory.FileSystem) (open, unknown bool, why string) {
	for _, e := range fs.Errors {
		if strings.HasPrefix(e, "policy:") {
			return false, true, fmt.Sprintf("the file-system policy of %s could not be read (%s): whether NFS clients need IAM authorisation is unknown", fs.ID, e)
		}
	}
	if fs.Policy == "" {
		return true, false, fmt.Sprintf("file system %s has no file-system policy: EFS's default policy gives any NFS client that reaches a mount target full access", fs.ID)
	}
	pol, err := policy.Parse([]byte(fs.Policy))
	if err != nil {
		b.log.Debug("file-system policy does not parse; anonymous mount unknown", "file_system", fs.ID, "err", err)
		return false, true, fmt.Sprintf("the file-system policy of %s does not parse: whether NFS clients need IAM authorisation is unknown", fs.ID)
	}
	pol.Label = "file-system-policy:" + fs.ID
	ctx := map[string][]string{"aws:SecureTransport": {"true"}, "elasticfilesystem:AccessedViaMountTarget": {"true"}}
	res, _ := anonymousDecisionIn(b.account, pol, "elasticfilesystem:ClientMount", []string{fs.ARN}, ctx, vpcSourceKeys)
	if res.Decision == policy.Allowed {
		return true, false, fmt.Sprintf("the file-system policy of %s allows elasticfilesystem:ClientMount to anonymous clients", fs.ID)
	}
	return false, false, ""
}

// fileSystemMoves runs after lateral: every REACHES move into an open file
// system is a mount with no IAM decision and cites the file system's
// finding; the workloads that reach a gated one become NFSMounts.
func (b *builder) fileSystemMoves() {
	if len(b.efs) == 0 {
		return
	}
	for _, k := range b.eorder {
		e := b.edges[k]
		info := b.efs[e.To]
		if info == nil || !info.open || e.Kind != graph.EdgeReaches {
			continue
		}
		e.Evidence = append(e.Evidence, info.why)
		if info.unknown {
			e.Conditional = true
			continue
		}
		// Raised once something reaches a mount target: the finding is about
		// who can mount, and an unreachable file system has no such client.
		e.Findings = append(e.Findings, b.flag(RuleEFSOpenToNFSClients, e.To, defaultSeverity, info.why))
	}
	roles := b.workloadRoles()
	for id, info := range b.efs {
		if info.open {
			continue
		}
		for _, g := range info.gated {
			rs := roles[g.workload]
			if len(rs) == 0 {
				continue
			}
			b.nfsMounts = append(b.nfsMounts, NFSMount{Workload: g.workload, Roles: rs, FileSystem: id, Region: info.region.name,
				Policy: info.fs.Policy, Tags: info.fs.Tags, Evidence: []string{g.evidence}})
		}
	}
}

// gatedReachEdges records, for a policy-gated file system's member, the
// sources whose traffic reaches it on NFS (the checks reachEdges makes for
// a direct pair), instead of drawing moves.
func (b *builder) gatedReachEdges(x *regionIndex, t *inventory.SecurityGroup, ti int, sources []int, ports protoPorts, why string) {
	d := &b.members[ti]
	info := b.efs[d.id]
	if info == nil {
		return
	}
	for _, si := range sources {
		s := &b.members[si]
		if samePlace(s, d) || s.serves != nil {
			continue
		}
		p := b.egressPorts(x, s, d, ports)
		if p.empty() {
			continue
		}
		if p, _ = b.withinVPC(x, s, d, p); p.empty() {
			continue
		}
		info.gated = append(info.gated, gatedReach{workload: s.id,
			evidence: fmt.Sprintf("%s reaches a mount target of %s: security group %s admits %s on %s", s.id, info.fs.ID, t.ID, why, strings.Join(p.strings(), " "))})
	}
}

// splitServed separates the targets that answer on any port from those that
// serve fixed ports only.
func splitServed(members []member, targets []int) (plain, served []int) {
	for _, ti := range targets {
		if members[ti].serves != nil {
			served = append(served, ti)
		} else {
			plain = append(plain, ti)
		}
	}
	return plain, served
}
