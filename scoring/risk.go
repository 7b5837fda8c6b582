package scoring

import (
	"math"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Exposure weights by how an attacker starts: anyone on the Internet needs
// nothing; an anonymous principal needs to know the API; a named external
// principal needs that principal's credentials; an explicit foothold (a
// search with Sources) is an assumed compromise.
const (
	ExposureInternet  = 1.0
	ExposureAnonymous = 0.9
	ExposureExternal  = 0.7
	ExposureFoothold  = 0.5
)

// Sensitivity weights of the target. A crown jewel below Confidential (an
// admin identity, a signing key) still weighs CrownJewelWeight.
var sensitivityWeights = [...]float64{
	graph.SensitivityNone:         0.1,
	graph.SensitivityPublic:       0.1,
	graph.SensitivityInternal:     0.4,
	graph.SensitivityConfidential: 0.8,
	graph.SensitivityRestricted:   1.0,
}

// CrownJewelWeight is the sensitivity weight of a crown jewel whose level
// weighs less.
const CrownJewelWeight = 0.7

// DefaultReachCap is the blast radius (targets reachable from the entry
// point) at which the blast-radius factor saturates.
const DefaultReachCap = 100

// Factors are the inputs of a path's risk, each in [0,1].
type Factors struct {
	Exposure    float64 `json:"exposure"`
	Likelihood  float64 `json:"likelihood"`
	Sensitivity float64 `json:"sensitivity"`
	BlastRadius float64 `json:"blast_radius"`
}

// Risk returns 100 * Exposure * Likelihood * Sensitivity * BlastRadius,
// rounded to one decimal.
func (f Factors) Risk() float64 {
	r := 100 * f.Exposure * f.Likelihood * f.Sensitivity * f.BlastRadius
	return math.Round(r*10) / 10
}

// ExposureWeight returns the exposure factor of a path starting at n.
func ExposureWeight(n *graph.Node) float64 {
	switch {
	case n.Kind == graph.KindInternet:
		return ExposureInternet
	case n.IsAnonymous():
		return ExposureAnonymous
	case n.Kind == graph.KindExternalPrincipal:
		return ExposureExternal
	}
	return ExposureFoothold
}

// SensitivityWeight returns the sensitivity factor of a path ending at n.
func SensitivityWeight(n *graph.Node) float64 {
	w := 0.1
	if n.Sensitivity.Valid() {
		w = sensitivityWeights[n.Sensitivity]
	}
	if n.CrownJewel {
		w = max(w, CrownJewelWeight)
	}
	return w
}

// BlastRadiusWeight maps the number of targets reachable from the entry point
// to [0.75, 1] on a log scale saturating at reachCap: a foothold that reaches
// many targets is worse, but the path to this target is what matters most.
func BlastRadiusWeight(reach, reachCap int) float64 {
	if reachCap < 1 {
		reachCap = DefaultReachCap
	}
	x := math.Log1p(float64(max(reach, 0))) / math.Log1p(float64(reachCap))
	return 0.75 + 0.25*min(1, x)
}

// PathFactors computes the risk factors of a path in g.
func PathFactors(g *graph.Graph, p *paths.Path, reachCap int) Factors {
	f := Factors{Likelihood: p.Likelihood, BlastRadius: BlastRadiusWeight(p.Reach, reachCap)}
	if n := g.Node(p.Source); n != nil {
		f.Exposure = ExposureWeight(n)
	}
	if n := g.Node(p.Target); n != nil {
		f.Sensitivity = SensitivityWeight(n)
	}
	return f
}
