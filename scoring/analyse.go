package scoring

import (
	"context"
	"fmt"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Analysis is one run of the engine over a loaded graph: the projection the
// search ran on (a plan reuses it), the paths found and their scoring.
type Analysis struct {
	Graph      *graph.Graph
	Projection *paths.Projection
	Found      *paths.Result
	Report     *Report
	// Search is the options the search ran with (sources and targets as
	// resolved), so later steps such as the must-pass analysis ask the same
	// question.
	Search paths.Options
}

// Analyse searches g for attack paths with search and scores them with
// opts. The CLI and the API both call it, so a path listed by one is listed
// and ranked the same by the other.
func Analyse(ctx context.Context, g *graph.Graph, search paths.Options, opts Options) (*Analysis, error) {
	proj := paths.NewProjection(g)
	res, err := proj.Search(ctx, search)
	if err != nil {
		return nil, fmt.Errorf("search attack paths: %w", err)
	}
	return &Analysis{Graph: g, Projection: proj, Found: res, Report: Score(g, res, opts), Search: search}, nil
}
