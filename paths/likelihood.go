package paths

import "github.com/breachpath/breachpath/graph"

// ConditionalFactor multiplies the likelihood of a move edge marked
// Conditional: the move holds only if request-time conditions the graph cannot
// resolve (source IP, MFA, tags) hold, so we count it as a coin flip rather
// than dropping it — an attacker often controls or satisfies such conditions.
const ConditionalFactor = 0.5

// defaultLikelihoods are the likelihoods of a move whose edge says 0. They
// reflect how much an attacker still has to do after the misconfiguration:
// using data you can read is almost certain, reaching a host over the network
// still needs an exploitable service on it.
var defaultLikelihoods = map[graph.EdgeKind]float64{
	graph.EdgeExposedTo:     0.9, // reachable from outside; a listening service is still needed
	graph.EdgeReaches:       0.6, // lateral movement needs a vulnerable or weakly-authenticated service
	graph.EdgeUsesIdentity:  0.9, // instance metadata / environment credentials are one request away
	graph.EdgeAssumes:       0.8, // sts:AssumeRole and friends, allowed by policy
	graph.EdgeEscalatesTo:   0.7, // privilege-escalation recipes need several API calls that can be noticed
	graph.EdgeReads:         0.95,
	graph.EdgeWrites:        0.85,
	graph.EdgeAdministers:   0.9,
	graph.EdgeDecrypts:      0.85,
	graph.EdgeAuthenticates: 0.9, // the credential exists outside the estate and is usable
}

// fallbackLikelihood is used for a move kind missing from the table above, so
// that a new kind added to the model is searched rather than ignored.
const fallbackLikelihood = 0.5

// DefaultLikelihood returns the likelihood used for a move edge of the given
// kind whose Likelihood is 0.
func DefaultLikelihood(k graph.EdgeKind) float64 {
	if v, ok := defaultLikelihoods[k]; ok {
		return v
	}
	return fallbackLikelihood
}

// EffectiveLikelihood is the likelihood the search uses for an edge: its own
// (or the kind's default when 0), times ConditionalFactor when conditional.
func EffectiveLikelihood(e *graph.Edge) float64 {
	l := e.Likelihood
	if l <= 0 || l > 1 {
		l = DefaultLikelihood(e.Kind)
	}
	if e.Conditional {
		l *= ConditionalFactor
	}
	return l
}
