package identity

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// TechEFSClientMount is an NFS mount of an EFS file system whose file-system policy decides who
// mounts it: a workload reaches a mount target on TCP 2049 (the resource part's NFSMount) and its
// role is allowed elasticfilesystem:ClientMount (reads) or ClientWrite (writes) by the role's own
// policies or by the file-system policy — either suffices (AWS EFS user guide, "Using IAM to control
// access to file systems"). The edge starts at the workload: the role's credentials elsewhere reach
// no mount target.
const TechEFSClientMount = "aws.efs.iam-client-mount"

// typeEFS is an EFS file system as NFS clients use it.
var typeEFS = &resourceType{service: "elasticfilesystem", technique: TechEFSClientMount, accesses: []access{
	{graph.EdgeReads, []string{"elasticfilesystem:ClientMount"}, false},
	{graph.EdgeWrites, []string{"elasticfilesystem:ClientWrite"}, false},
}}

// efsMounts draws the IAM-authorised mounts of the workloads that reach policy-gated file systems.
func (b *builder) efsMounts(ctx context.Context) error {
	for i := range b.opts.NFSMounts {
		if i%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		m := &b.opts.NFSMounts[i]
		pol := b.parsePolicy(m.FileSystem+"#policy", m.Policy)
		if pol == nil {
			continue // unreadable policy: who may mount is unknown
		}
		r := &dataResource{id: m.FileSystem, typ: typeEFS, accesses: typeEFS.accesses, region: m.Region, policy: pol, named: map[string]bool{}, tags: m.Tags}
		// The client mounts through a mount target and, with the mount helper, over TLS.
		reqCtx := maps.Clone(b.requestContext(m.Region))
		reqCtx["aws:SecureTransport"] = []string{"true"}
		reqCtx["elasticfilesystem:AccessedViaMountTarget"] = []string{"true"}
		for _, role := range m.Roles {
			p := b.byARN[role]
			if p == nil {
				continue
			}
			for _, a := range r.accesses {
				res, target := b.evalAccessIn(p.caller, p.set, r, a, reqCtx, vpcSourceKeys)
				if !granted(res.Decision) {
					continue
				}
				actions := strings.Join(a.actions, "|")
				ev := append([]string{fmt.Sprintf("%s acts as %s and mounts with the EFS mount helper's iam option", m.Workload, p.id)}, m.Evidence...)
				ev = append(ev, decisionEvidence(actions, target, res)...)
				b.addEdge(graph.Edge{From: m.Workload, To: m.FileSystem, Kind: a.edge, Technique: TechEFSClientMount,
					Conditional: res.Decision == policy.Conditional, Evidence: ev, Props: graph.Props{"role": p.id}})
			}
		}
	}
	return nil
}
