package terraform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// IAM users and groups, their memberships, policies and credentials.

func (b *builder) primaryIAM(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_iam_user":
		name, path, arn := b.iamIdentity(r, "user")
		u := &inventory.User{Name: name, Path: path, ARN: arn, Tags: o.tags(), PermissionBoundary: o.str("permissions_boundary")}
		put(b.users, u, r.addr, []string{name, arn})
		b.own(arn, r.addr)
	case "aws_iam_group":
		name, path, arn := b.iamIdentity(r, "group")
		g := &inventory.Group{Name: name, Path: path, ARN: arn}
		put(b.iamGroups, g, r.addr, []string{name, arn})
		b.own(arn, r.addr)
	}
}

// userFor returns the user an attachment names: planned, else a user
// outside the plan modelled from its name alone (the store's view of it is
// kept by the overlay; see storeContext).
func (b *builder) userFor(r resource, attr string) *inventory.User {
	v, addrs := b.ref(r, attr)
	if u := lookup(b.users, v, addrs); u != nil {
		return u
	}
	return b.userNamed(v, r.addr)
}

func (b *builder) userNamed(name, addr string) *inventory.User {
	if u := b.users[name]; u != nil && name != "" {
		return u
	}
	if name == "" {
		name = sanitize(addr)
	}
	u := &inventory.User{Name: name, Path: "/", ARN: b.arn("iam", "", "user/"+name)}
	if s := b.stored.user(u.ARN); s != nil {
		u = s
	}
	put(b.users, u, "", []string{name, u.ARN})
	return u
}

func (b *builder) groupFor(r resource, attr string) *inventory.Group {
	v, addrs := b.ref(r, attr)
	if g := lookup(b.iamGroups, v, addrs); g != nil {
		return g
	}
	return b.groupNamed(v, r.addr)
}

func (b *builder) groupNamed(name, addr string) *inventory.Group {
	if g := b.iamGroups[name]; g != nil && name != "" {
		return g
	}
	if name == "" {
		name = sanitize(addr)
	}
	g := &inventory.Group{Name: name, Path: "/", ARN: b.arn("iam", "", "group/"+name)}
	put(b.iamGroups, g, "", []string{name, g.ARN})
	return g
}

// policyARN resolves an attachment's policy_arn, conservatively.
func (b *builder) policyARN(r resource) string {
	pv, paddrs := b.ref(r, "policy_arn")
	arn := pv
	if p := lookup(b.policies, pv, paddrs); p != nil {
		arn = p.ARN
	}
	if arn == "" {
		b.assume("%s policy_arn is unknown until apply: assumed AdministratorAccess", r.addr)
		arn = "arn:" + b.opts.Partition + ":iam::aws:policy/AdministratorAccess"
	}
	b.knowManaged(arn)
	return arn
}

// knowManaged adds the document of an AWS managed policy the gate knows by
// heart: the transform needs it to evaluate the attachment.
func (b *builder) knowManaged(arn string) {
	if _, ok := b.policies[arn]; ok {
		return
	}
	if doc, ok := awsManaged[lastSegment(arn)]; ok && isAWSManaged(arn) {
		b.policies[arn] = &inventory.ManagedPolicy{ARN: arn, Name: lastSegment(arn), Path: "/", Document: doc, AWSManaged: true, IsAttachable: true, DefaultVersionID: "v1"}
	}
}

func isAWSManaged(arn string) bool {
	return strings.Contains(arn, ":iam::aws:policy/")
}

func (b *builder) attachIAM(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_iam_user_policy":
		u := b.userFor(r, "user")
		u.InlinePolicies = append(u.InlinePolicies, inventory.InlinePolicy{Name: o.str("name"), Document: b.policy(r, "policy", "policy document", openIdentityPolicy)})
		b.causes(u.ARN, r.addr)
	case "aws_iam_group_policy":
		g := b.groupFor(r, "group")
		g.InlinePolicies = append(g.InlinePolicies, inventory.InlinePolicy{Name: o.str("name"), Document: b.policy(r, "policy", "policy document", openIdentityPolicy)})
		b.causes(g.ARN, r.addr)
		b.groupCauses = append(b.groupCauses, [2]string{g.Name, r.addr})
	case "aws_iam_user_policy_attachment":
		u := b.userFor(r, "user")
		arn := b.policyARN(r)
		u.AttachedPolicies = append(u.AttachedPolicies, inventory.AttachedPolicy{ARN: arn, Name: lastSegment(arn)})
		b.causes(u.ARN, r.addr)
	case "aws_iam_group_policy_attachment":
		g := b.groupFor(r, "group")
		arn := b.policyARN(r)
		g.AttachedPolicies = append(g.AttachedPolicies, inventory.AttachedPolicy{ARN: arn, Name: lastSegment(arn)})
		b.causes(g.ARN, r.addr)
		b.groupCauses = append(b.groupCauses, [2]string{g.Name, r.addr})
	case "aws_iam_policy_attachment":
		// the exclusive attachment: every listed user, role and group
		arn := b.policyARN(r)
		ap := inventory.AttachedPolicy{ARN: arn, Name: lastSegment(arn)}
		for _, n := range b.names(r, "users") {
			u := b.userNamed(n, r.addr)
			u.AttachedPolicies = append(u.AttachedPolicies, ap)
			b.causes(u.ARN, r.addr)
		}
		for _, n := range b.names(r, "roles") {
			role := b.roles[n]
			if role == nil {
				role = b.contextRole(n, r.addr)
			}
			role.AttachedPolicies = append(role.AttachedPolicies, ap)
			b.causes(role.ARN, r.addr)
		}
		for _, n := range b.names(r, "groups") {
			g := b.groupNamed(n, r.addr)
			g.AttachedPolicies = append(g.AttachedPolicies, ap)
			b.causes(g.ARN, r.addr)
			b.groupCauses = append(b.groupCauses, [2]string{g.Name, r.addr})
		}
	case "aws_iam_user_group_membership":
		u := b.userFor(r, "user")
		for _, n := range b.names(r, "groups") {
			g := b.groupNamed(n, r.addr)
			u.Groups = appendUnique(u.Groups, g.Name)
		}
		b.causes(u.ARN, r.addr)
	case "aws_iam_group_membership":
		g := b.groupFor(r, "group")
		for _, n := range b.names(r, "users") {
			u := b.userNamed(n, r.addr)
			u.Groups = appendUnique(u.Groups, g.Name)
			b.causes(u.ARN, r.addr)
		}
	case "aws_iam_access_key":
		// Presence only: the key id and secret are never read from the plan.
		u := b.userFor(r, "user")
		status := o.str("status")
		if status == "" {
			status = "Active"
		}
		u.AccessKeys = append(u.AccessKeys, inventory.AccessKey{ID: "tf:" + r.addr, Status: status})
		b.causes(u.ARN, r.addr)
	case "aws_iam_user_login_profile":
		u := b.userFor(r, "user")
		u.LoginProfile = true
		b.causes(u.ARN, r.addr)
	}
}

// names resolves a list attribute of names (users, roles, groups): the
// known names, plus the planned users, roles and groups its configuration
// references when the list is unknown until apply.
func (b *builder) names(r resource, attr string) []string {
	out := r.obj.strings(attr)
	if r.obj.isUnknown(attr) || len(out) == 0 {
		for _, a := range b.refs[r.addr+"\x00"+attr] {
			switch {
			case b.users[a] != nil:
				out = append(out, b.users[a].Name)
			case b.roles[a] != nil:
				out = append(out, b.roles[a].Name)
			case b.iamGroups[a] != nil:
				out = append(out, b.iamGroups[a].Name)
			}
		}
	}
	return dedupe(out)
}
