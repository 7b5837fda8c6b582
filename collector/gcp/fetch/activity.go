package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/api/policyanalyzer/v1"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// AreaKeyActivity is the Policy Analyzer key-activity listing.
const AreaKeyActivity = "policyanalyzer"

// keyActivity reads, per project, when each service-account key last
// authenticated (Policy Analyzer activity serviceAccountKeyLastAuthentication),
// for the CIEM report's dormant-key detection. A failure leaves key usage
// unknown; it stales nothing, since no node belongs to this area.
func (c *collector) keyActivity(ctx context.Context) {
	svc, err := policyanalyzer.NewService(ctx, c.clientOptions(APIPolicyAnalyzer)...)
	if err != nil {
		c.activityFailed(fmt.Errorf("policy analyzer client: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	if c.inv.KeyActivityProjects == nil {
		c.inv.KeyActivityProjects = map[string]bool{}
	}
	for _, p := range c.inv.ByType(inventory.TypeProject) {
		var d inventory.Project
		if err := p.Decode(&d); err != nil || d.ProjectID == "" {
			continue
		}
		parent := "projects/" + d.ProjectID + "/locations/global/activityTypes/serviceAccountKeyLastAuthentication"
		var recs []inventory.Activity
		err := c.withRetry(ctx, func() error {
			recs = recs[:0]
			c.calls.Add(1)
			return svc.Projects.Locations.ActivityTypes.Activities.Query(parent).PageSize(1000).Pages(ctx,
				func(r *policyanalyzer.GoogleCloudPolicyanalyzerV1QueryActivityResponse) error {
					for _, a := range r.Activities {
						var act inventory.Activity
						act.ActivityType, act.FullResourceName = a.ActivityType, a.FullResourceName
						if len(a.Activity) > 0 {
							if err := json.Unmarshal(a.Activity, &act.Activity); err != nil {
								return fmt.Errorf("activity of %s: %w", a.FullResourceName, err)
							}
						}
						recs = append(recs, act)
					}
					return nil
				})
		})
		if err != nil {
			if ctx.Err() == nil {
				c.activityFailed(fmt.Errorf("key activity of %s: %w", d.ProjectID, err))
			}
			return
		}
		for _, a := range recs {
			if err := c.inv.AddKeyActivity(a); err != nil {
				c.opts.Logger.Warn("gcp key activity skipped", "error", err)
			}
		}
		c.inv.KeyActivityProjects[d.ProjectID] = true
		c.inv.KeyActivityProjects[d.ProjectNumber] = true
	}
	c.inv.Coverage.Read = append(c.inv.Coverage.Read, graph.Area{Service: AreaKeyActivity})
}

// withRetry runs call, retrying throttling and transient errors.
func (c *collector) withRetry(ctx context.Context, call func() error) error {
	r := c.retryer().(*retryer)
	for {
		err := call()
		if err == nil {
			return nil
		}
		pause, again := r.Retry(err)
		if !again {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (c *collector) activityFailed(err error) {
	c.opts.Logger.Warn("gcp area failed", "area", AreaKeyActivity, "error", err)
	c.inv.KeyActivityProjects = nil
	c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: AreaKeyActivity}, Error: AreaKeyActivity + ": " + err.Error()})
}
