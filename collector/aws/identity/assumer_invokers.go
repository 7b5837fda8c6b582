package identity

import (
	"context"

	"github.com/breachpath/breachpath/graph"
)

// TechInvokeModifiesInvoker is the technique of invoking a function whose execution role may
// change the invoker's (or, through assumerInvokers, the assumer's) own permissions.
const TechInvokeModifiesInvoker = "aws.lambda.invoke-function-modifies-invoker"

// assumerInvokers draws the escalations in which a principal assumes a role, invokes a function
// as that role, and the function's execution role changes the principal's own permissions
// (CloudGoat vulnerable_lambda: bilbo assumes the invoker role, whose only use is invoking the
// policy-applier function, whose role may attach any policy to bilbo). The role itself gains
// nothing — the function changes the assumer — so the move is drawn from the assumer, with
// via_role naming the role, like the tag steps by assumers. Only direct assumers (an ASSUMES edge,
// or one through a held policy) are considered, not chains of roles.
func (b *builder) assumerInvokers(ctx context.Context) error {
	var t *Technique
	for i := range Techniques {
		if Techniques[i].ID == TechInvokeModifiesInvoker {
			t = &Techniques[i]
		}
	}
	assumers := b.assumersByRole()
	var e *escalator
	for _, y := range b.principals {
		if err := ctx.Err(); err != nil {
			return err
		}
		if t == nil || y.role == nil || y.caller.IsServiceLinkedRole || len(assumers[y.id]) == 0 {
			continue
		}
		if e == nil {
			e = b.newEscalator()
			if len(e.tg.functions) == 0 {
				return nil
			}
			e.prepareShared()
		}
		for _, a := range assumers[y.id] {
			if a.p == y || a.p.admin || a.p.kind == graph.KindPolicy {
				continue
			}
			for _, x := range b.captureInvokerAdmin(e, y, t, a.p) {
				b.addEdge(b.assumerEdge(e, y, a, x))
			}
		}
	}
	return nil
}

// captureInvokerAdmin runs invokerAdminOf for invoker p and subject and returns its moves
// instead of drawing them.
func (b *builder) captureInvokerAdmin(e *escalator, p *principal, t *Technique, subject *principal) []capturedEdge {
	we, got := b.capturing(e, nil, nil)
	we.invokerAdminOf(p, t, subject)
	return *got
}
