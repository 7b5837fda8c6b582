package fetch

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// lastAccessedPoll is the wait between GetServiceLastAccessedDetails polls
// of one job; AWS jobs take seconds. Tests shorten it.
var lastAccessedPoll = time.Second

// lastAccessedMaxPolls bounds the polls of one job before it counts as failed.
const lastAccessedMaxPolls = 300

// LastAccessedAPI is the part of the IAM client LastAccessedDetails uses.
type LastAccessedAPI interface {
	GenerateServiceLastAccessedDetails(context.Context, *iam.GenerateServiceLastAccessedDetailsInput, ...func(*iam.Options)) (*iam.GenerateServiceLastAccessedDetailsOutput, error)
	GetServiceLastAccessedDetails(context.Context, *iam.GetServiceLastAccessedDetailsInput, ...func(*iam.Options)) (*iam.GetServiceLastAccessedDetailsOutput, error)
}

// LastAccessedDetails generates an ACTION_LEVEL service last-accessed report
// for one principal (user, group or role ARN), waits for it and reads every
// page. A job that fails or never completes is an error, never an empty
// report: an empty report would make every permission look unused.
func LastAccessedDetails(ctx context.Context, api LastAccessedAPI, arn string) ([]inventory.ServiceLastAccessed, error) {
	gen, err := api.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String(arn), Granularity: iamtypes.AccessAdvisorUsageGranularityTypeActionLevel})
	if err != nil {
		return nil, fmt.Errorf("generate last-accessed details: %w", err)
	}
	job := gen.JobId
	out := []inventory.ServiceLastAccessed{}
	var marker *string
	for polls := 0; ; {
		page, err := api.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job, Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("get last-accessed details: %w", err)
		}
		switch page.JobStatus {
		case iamtypes.JobStatusTypeCompleted:
		case iamtypes.JobStatusTypeFailed:
			msg := "job failed"
			if page.Error != nil {
				msg += ": " + aws.ToString(page.Error.Code) + " " + aws.ToString(page.Error.Message)
			}
			return nil, fmt.Errorf("last-accessed details: %s", msg)
		default: // IN_PROGRESS
			if polls++; polls > lastAccessedMaxPolls {
				return nil, fmt.Errorf("last-accessed details: job %s still %s after %d polls", aws.ToString(job), page.JobStatus, lastAccessedMaxPolls)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(lastAccessedPoll):
			}
			continue
		}
		for _, s := range page.ServicesLastAccessed {
			sl := inventory.ServiceLastAccessed{Namespace: aws.ToString(s.ServiceNamespace), Name: aws.ToString(s.ServiceName),
				LastAuthenticated: timeOf(s.LastAuthenticated), LastAuthenticatedEntity: aws.ToString(s.LastAuthenticatedEntity),
				LastAuthenticatedRegion: aws.ToString(s.LastAuthenticatedRegion), TotalAuthenticatedEntities: aws.ToInt32(s.TotalAuthenticatedEntities)}
			if s.TrackedActionsLastAccessed != nil {
				sl.TrackedActions = []inventory.ActionLastAccessed{}
			}
			for _, t := range s.TrackedActionsLastAccessed {
				sl.TrackedActions = append(sl.TrackedActions, inventory.ActionLastAccessed{Action: aws.ToString(t.ActionName),
					LastAccessed: timeOf(t.LastAccessedTime), Entity: aws.ToString(t.LastAccessedEntity), Region: aws.ToString(t.LastAccessedRegion)})
			}
			out = append(out, sl)
		}
		if !page.IsTruncated {
			return out, nil
		}
		marker = page.Marker
	}
}

// lastAccessed reads every principal's last-accessed data into
// data.LastAccessed. A principal whose job fails is left out (its usage is
// unknown) and the failure is filed under iam/last-accessed.
func (s *session) lastAccessed(ctx context.Context, client LastAccessedAPI, data *inventory.IAMData) {
	var arns []string
	for _, u := range data.Users {
		arns = append(arns, u.ARN)
	}
	for _, g := range data.Groups {
		arns = append(arns, g.ARN)
	}
	for _, r := range data.Roles {
		arns = append(arns, r.ARN)
	}
	res := make([][]inventory.ServiceLastAccessed, len(arns))
	ok := make([]bool, len(arns))
	forEach(ctx, len(arns), s.opts.concurrency(), func(ctx context.Context, i int) {
		svcs, err := LastAccessedDetails(ctx, client, arns[i])
		if err != nil {
			s.detail(ServiceIAM, "last-accessed", "", arns[i], err)
			return
		}
		res[i], ok[i] = svcs, true
	})
	data.LastAccessed = make(map[string][]inventory.ServiceLastAccessed, len(arns))
	for i, arn := range arns {
		if ok[i] {
			data.LastAccessed[arn] = res[i]
		}
	}
}
