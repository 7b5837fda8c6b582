package inventory

import "strings"

// PolicyInsight is an IAM recommender insight (insight type
// google.iam.policy.Insight): which permissions of one role binding its
// member exercised (or, by machine learning, will likely need) during the
// observation period.
type PolicyInsight struct {
	Name            string   `json:"name"`
	TargetResources []string `json:"targetResources"`
	LastRefreshTime string   `json:"lastRefreshTime"`
	// ObservationPeriod is a duration ("7776000s" = 90 days).
	ObservationPeriod string `json:"observationPeriod"`
	Content           struct {
		Role                 string `json:"role"`
		Member               string `json:"member"`
		ExercisedPermissions []struct {
			Permission string `json:"permission"`
		} `json:"exercisedPermissions"`
		InferredPermissions []struct {
			Permission string `json:"permission"`
		} `json:"inferredPermissions"`
	} `json:"content"`
}

// Used returns the permissions the insight counts as needed: exercised
// and inferred.
func (p *PolicyInsight) Used() []string {
	var out []string
	for _, e := range p.Content.ExercisedPermissions {
		out = append(out, e.Permission)
	}
	for _, e := range p.Content.InferredPermissions {
		out = append(out, e.Permission)
	}
	return out
}

// AddInsight records an insight of type google.iam.policy.Insight; the
// project it was listed for counts as read.
func (inv *Inventory) AddInsight(project string, p PolicyInsight) {
	if p.Content.Member == "" || p.Content.Role == "" {
		return
	}
	p.Content.Member = NormalizeMember(p.Content.Member)
	inv.Insights = append(inv.Insights, p)
	inv.MarkInsightsRead(project)
}

// MarkInsightsRead records that a project's insights were read (a project
// with no insight had none to report).
func (inv *Inventory) MarkInsightsRead(project string) {
	if inv.InsightProjects == nil {
		inv.InsightProjects = map[string]bool{}
	}
	inv.InsightProjects[project] = true
}

// NormalizeMember lower-cases the email of an IAM member
// ("serviceAccount:A@x" -> "serviceAccount:a@x"), as IAM compares them.
func NormalizeMember(m string) string {
	kind, rest, ok := strings.Cut(m, ":")
	if !ok {
		return m
	}
	return kind + ":" + strings.ToLower(rest)
}
