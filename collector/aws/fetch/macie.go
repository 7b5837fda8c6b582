package fetch

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	macietypes "github.com/aws/aws-sdk-go-v2/service/macie2/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// macieBatch is GetFindings' limit on finding ids per call.
const macieBatch = 50

// macieBucketsPage is DescribeBuckets' page size limit.
const macieBucketsPage = 50

// collectMacie reads whether Macie is enabled in the region and, if so,
// its unarchived sensitive-data findings, summarized per bucket. "Not
// enabled" is an answer, not a failure; a denied GetMacieSession for any
// other reason (a missing permission) fails the area, because whether
// Macie runs is then unknown.
func (s *session) collectMacie(ctx context.Context, region string, rd *inventory.RegionData) error {
	c := macie2.NewFromConfig(s.cfg, func(o *macie2.Options) { o.Region = region })
	sess, err := c.GetMacieSession(ctx, &macie2.GetMacieSessionInput{})
	switch {
	case macieNotEnabled(err):
		rd.Macie = &inventory.MacieData{Status: inventory.MacieNotEnabled}
		s.markNotEnabled(ServiceMacie, region, err)
		return nil
	case err != nil:
		return err
	}
	md := &inventory.MacieData{Status: string(sess.Status)}
	if md.Status == "" {
		md.Status = inventory.MacieEnabled
	}

	var ids []string
	p := macie2.NewListFindingsPaginator(c, &macie2.ListFindingsInput{
		FindingCriteria: &macietypes.FindingCriteria{Criterion: map[string]macietypes.CriterionAdditionalProperties{
			"category": {Eq: []string{string(macietypes.FindingCategoryClassification)}},
			// Archived findings were suppressed by the account's own rules.
			"archived": {Eq: []string{"false"}},
		}},
		MaxResults: aws.Int32(macieBatch),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		ids = append(ids, page.FindingIds...)
	}
	var findings []macietypes.Finding
	for start := 0; start < len(ids); start += macieBatch {
		out, err := c.GetFindings(ctx, &macie2.GetFindingsInput{FindingIds: ids[start:min(start+macieBatch, len(ids))]})
		if err != nil {
			return err
		}
		findings = append(findings, out.Findings...)
	}
	md.Findings, md.SampleFindings, md.Buckets = summarizeMacie(findings)
	if md.Discovery, err = readMacieDiscovery(ctx, c); err != nil {
		return fmt.Errorf("automated sensitive data discovery: %w", err)
	}
	rd.Macie = md
	return nil
}

// readMacieDiscovery reads whether automated sensitive data discovery runs
// and, if it does, every bucket's sensitivity score (DescribeBuckets: counts
// and scores, no object data). An endpoint that does not offer the
// operation answers "unavailable"; any other error fails the Macie area,
// since the scores would otherwise be dropped silently.
func readMacieDiscovery(ctx context.Context, c *macie2.Client) (*inventory.MacieDiscovery, error) {
	cfg, err := c.GetAutomatedDiscoveryConfiguration(ctx, &macie2.GetAutomatedDiscoveryConfigurationInput{})
	switch {
	case serviceNotEnabled(err):
		return &inventory.MacieDiscovery{Status: inventory.MacieDiscoveryUnavailable}, nil
	case err != nil:
		return nil, err
	}
	d := &inventory.MacieDiscovery{Status: string(cfg.Status)}
	if cfg.Status != macietypes.AutomatedDiscoveryStatusEnabled {
		if d.Status == "" {
			d.Status = inventory.MacieDiscoveryDisabled
		}
		return d, nil
	}
	p := macie2.NewDescribeBucketsPaginator(c, &macie2.DescribeBucketsInput{MaxResults: aws.Int32(macieBucketsPage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe buckets: %w", err)
		}
		for _, b := range page.Buckets {
			if aws.ToString(b.BucketName) == "" || b.SensitivityScore == nil {
				continue
			}
			d.Buckets = append(d.Buckets, inventory.MacieBucketScore{
				Bucket: aws.ToString(b.BucketName), ARN: aws.ToString(b.BucketArn), Account: aws.ToString(b.AccountId),
				Score:               aws.ToInt32(b.SensitivityScore),
				Monitored:           b.AutomatedDiscoveryMonitoringStatus == macietypes.AutomatedDiscoveryMonitoringStatusMonitored,
				ClassifiableObjects: aws.ToInt64(b.ClassifiableObjectCount),
			})
		}
	}
	sort.Slice(d.Buckets, func(i, j int) bool { return d.Buckets[i].Bucket < d.Buckets[j].Bucket })
	return d, nil
}

// macieNotEnabled reports whether err says Macie is off in the region:
// AWS answers AccessDeniedException "Macie is not enabled", moto
// ResourceNotFoundException.
func macieNotEnabled(err error) bool {
	if err == nil {
		return false
	}
	if hasCode(err, "ResourceNotFoundException") {
		return true
	}
	return hasCode(err, "AccessDeniedException") && strings.Contains(strings.ToLower(reason(err)), "not enabled")
}

var macieSeverityRank = map[string]int{"Low": 1, "Medium": 2, "High": 3}

// summarizeMacie aggregates classification findings per bucket. It reads
// only categories, detection types, counts and severities: sample values,
// occurrence locations and object keys are never copied. Sample findings
// (CreateSampleFindings) are counted apart and otherwise ignored.
func summarizeMacie(findings []macietypes.Finding) (real, samples int, out []inventory.MacieBucketSummary) {
	byBucket := map[string]*inventory.MacieBucketSummary{}
	for _, f := range findings {
		if aws.ToBool(f.Sample) {
			samples++
			continue
		}
		if f.Category != "" && f.Category != macietypes.FindingCategoryClassification {
			continue
		}
		if f.ResourcesAffected == nil || f.ResourcesAffected.S3Bucket == nil || aws.ToString(f.ResourcesAffected.S3Bucket.Name) == "" {
			continue
		}
		real++
		b := f.ResourcesAffected.S3Bucket
		name := aws.ToString(b.Name)
		sum := byBucket[name]
		if sum == nil {
			sum = &inventory.MacieBucketSummary{Bucket: name, ARN: aws.ToString(b.Arn), Account: aws.ToString(f.AccountId), Categories: map[string]int64{}}
			if b.Owner != nil && sum.Account == "" {
				sum.Account = aws.ToString(b.Owner.Id)
			}
			byBucket[name] = sum
		}
		sum.Findings++
		if f.Severity != nil {
			if sev := string(f.Severity.Description); macieSeverityRank[sev] > macieSeverityRank[sum.HighestSeverity] {
				sum.HighestSeverity = sev
			}
		}
		if u := aws.ToTime(f.UpdatedAt); u.After(sum.LastUpdated) {
			sum.LastUpdated = u.UTC()
		}
		if f.ClassificationDetails == nil || f.ClassificationDetails.Result == nil {
			continue
		}
		res := f.ClassificationDetails.Result
		for _, item := range res.SensitiveData {
			n := aws.ToInt64(item.TotalCount)
			var byType int64
			for _, d := range item.Detections {
				c := aws.ToInt64(d.Count)
				byType += c
				if t := aws.ToString(d.Type); t != "" {
					addCount(&sum.Types, t, c)
				}
			}
			if n == 0 {
				n = byType
			}
			sum.Categories[string(item.Category)] += n
		}
		if cd := res.CustomDataIdentifiers; cd != nil && (aws.ToInt64(cd.TotalCount) > 0 || len(cd.Detections) > 0) {
			var byType int64
			for _, d := range cd.Detections {
				c := aws.ToInt64(d.Count)
				byType += c
				addCount(&sum.Types, "custom:"+aws.ToString(d.Name), c)
			}
			n := aws.ToInt64(cd.TotalCount)
			if n == 0 {
				n = byType
			}
			sum.Categories[string(macietypes.SensitiveDataItemCategoryCustomIdentifier)] += n
		}
	}
	for _, sum := range byBucket {
		out = append(out, *sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket < out[j].Bucket })
	return real, samples, out
}

func addCount(m *map[string]int64, key string, n int64) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[key] += n
}
