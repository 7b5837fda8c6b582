package fetch

import (
	"context"
	"encoding/json"
	"fmt"

	recommender "google.golang.org/api/recommender/v1"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// AreaInsights is the IAM recommender insight listing (permission use). No
// node belongs to it: when it fails, permission use stays unknown in the
// CIEM report.
const AreaInsights = "recommender"

// APIRecommender is its endpoint override name.
const APIRecommender = "recommender"

// insights lists every project's IAM policy insights
// (projects/<id>/locations/global/insightTypes/google.iam.policy.Insight):
// per role binding, the permissions its member used in the observation
// period (90 days), so that `breachpath ciem` can tell unused permissions
// and suggest a smaller custom role.
func (c *collector) insights(ctx context.Context) {
	svc, err := recommender.NewService(ctx, c.clientOptions(APIRecommender)...)
	if err != nil {
		c.insightsFailed(fmt.Errorf("recommender client: %w", err))
		return
	}
	got := map[string][]inventory.PolicyInsight{}
	projects := c.projects()
	for _, p := range projects {
		parent := "projects/" + p.ID + "/locations/global/insightTypes/google.iam.policy.Insight"
		list, err := listAll(ctx, c, func(add func(...*recommender.GoogleCloudRecommenderV1Insight)) error {
			return svc.Projects.Locations.InsightTypes.Insights.List(parent).Context(ctx).Pages(ctx,
				func(r *recommender.GoogleCloudRecommenderV1ListInsightsResponse) error {
					add(r.Insights...)
					return nil
				})
		})
		if err != nil {
			if ctx.Err() == nil {
				c.insightsFailed(fmt.Errorf("insights of %s: %w", p.ID, err))
			}
			return
		}
		for _, in := range list {
			var pi inventory.PolicyInsight
			pi.Name, pi.TargetResources, pi.LastRefreshTime, pi.ObservationPeriod = in.Name, in.TargetResources, in.LastRefreshTime, in.ObservationPeriod
			if err := json.Unmarshal(in.Content, &pi.Content); err != nil {
				c.insightsFailed(fmt.Errorf("insight %s: %w", in.Name, err))
				return
			}
			got[p.ID] = append(got[p.ID], pi)
		}
	}
	for _, p := range projects {
		for _, pi := range got[p.ID] {
			c.inv.AddInsight(p.ID, pi)
		}
		c.inv.MarkInsightsRead(p.ID)
		c.inv.MarkInsightsRead(p.Number)
	}
	c.inv.Coverage.Read = append(c.inv.Coverage.Read, graph.Area{Service: AreaInsights})
}

func (c *collector) insightsFailed(err error) {
	c.opts.Logger.Warn("gcp area failed", "area", AreaInsights, "error", err)
	c.inv.Insights, c.inv.InsightProjects = nil, nil
	c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: AreaInsights},
		Error: AreaInsights + " (recommender API): " + err.Error() + "; permission use unknown"})
}
