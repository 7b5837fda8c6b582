package fetch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// fakeLastAccessed answers like IAM: the job is IN_PROGRESS for the first
// `pending` polls, then COMPLETED (or FAILED) with the given pages. moto does
// not implement these APIs (NotImplementedError), hence the fake.
type fakeLastAccessed struct {
	pending    int
	fail       bool
	genErr     error
	pages      [][]iamtypes.ServiceLastAccessed
	gets       int
	arn        string
	granular   iamtypes.AccessAdvisorUsageGranularityType
	markersGot []string
}

func (f *fakeLastAccessed) GenerateServiceLastAccessedDetails(_ context.Context, in *iam.GenerateServiceLastAccessedDetailsInput, _ ...func(*iam.Options)) (*iam.GenerateServiceLastAccessedDetailsOutput, error) {
	if f.genErr != nil {
		return nil, f.genErr
	}
	f.arn, f.granular = aws.ToString(in.Arn), in.Granularity
	return &iam.GenerateServiceLastAccessedDetailsOutput{JobId: aws.String("job-1")}, nil
}

func (f *fakeLastAccessed) GetServiceLastAccessedDetails(_ context.Context, in *iam.GetServiceLastAccessedDetailsInput, _ ...func(*iam.Options)) (*iam.GetServiceLastAccessedDetailsOutput, error) {
	f.gets++
	if f.gets <= f.pending {
		return &iam.GetServiceLastAccessedDetailsOutput{JobStatus: iamtypes.JobStatusTypeInProgress}, nil
	}
	if f.fail {
		return &iam.GetServiceLastAccessedDetailsOutput{JobStatus: iamtypes.JobStatusTypeFailed,
			Error: &iamtypes.ErrorDetails{Code: aws.String("ServiceFailure"), Message: aws.String("boom")}}, nil
	}
	f.markersGot = append(f.markersGot, aws.ToString(in.Marker))
	i := 0
	if m := aws.ToString(in.Marker); m != "" {
		i = int(m[0] - '0')
	}
	out := &iam.GetServiceLastAccessedDetailsOutput{JobStatus: iamtypes.JobStatusTypeCompleted, ServicesLastAccessed: f.pages[i]}
	if i+1 < len(f.pages) {
		out.IsTruncated, out.Marker = true, aws.String(string(rune('0'+i+1)))
	}
	return out, nil
}

func TestLastAccessedDetails(t *testing.T) {
	old := lastAccessedPoll
	lastAccessedPoll = time.Millisecond
	t.Cleanup(func() { lastAccessedPoll = old })
	used := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	s3 := iamtypes.ServiceLastAccessed{ServiceName: aws.String("Amazon S3"), ServiceNamespace: aws.String("s3"), LastAuthenticated: &used,
		TotalAuthenticatedEntities: aws.Int32(1), TrackedActionsLastAccessed: []iamtypes.TrackedActionLastAccessed{
			{ActionName: aws.String("ListAllMyBuckets"), LastAccessedTime: &used}, {ActionName: aws.String("CreateBucket")}}}
	kms := iamtypes.ServiceLastAccessed{ServiceName: aws.String("AWS KMS"), ServiceNamespace: aws.String("kms")}
	tests := []struct {
		name    string
		fake    *fakeLastAccessed
		want    []string // namespaces
		wantErr string
	}{
		{"waits for the job and reads every page", &fakeLastAccessed{pending: 2, pages: [][]iamtypes.ServiceLastAccessed{{s3}, {kms}}}, []string{"s3", "kms"}, ""},
		{"a failed job is an error, not an empty report", &fakeLastAccessed{fail: true}, nil, "ServiceFailure boom"},
		{"a refused generate is an error", &fakeLastAccessed{genErr: errors.New("AccessDenied")}, nil, "AccessDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LastAccessedDetails(context.Background(), tc.fake, "arn:aws:iam::123456789012:user/u")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
					t.Fatalf("got %v, %v; want error %q and no data", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, s := range got {
				ns = append(ns, s.Namespace)
			}
			if strings.Join(ns, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("services %v, want %v", ns, tc.want)
			}
			if tc.fake.granular != iamtypes.AccessAdvisorUsageGranularityTypeActionLevel || tc.fake.arn != "arn:aws:iam::123456789012:user/u" {
				t.Fatalf("generated for %q at %q, want ACTION_LEVEL for the user", tc.fake.arn, tc.fake.granular)
			}
			want := inventory.ServiceLastAccessed{Namespace: "s3", Name: "Amazon S3", LastAuthenticated: used, TotalAuthenticatedEntities: 1,
				TrackedActions: []inventory.ActionLastAccessed{{Action: "ListAllMyBuckets", LastAccessed: used}, {Action: "CreateBucket"}}}
			if g := got[0]; g.Namespace != want.Namespace || !g.LastAuthenticated.Equal(used) || len(g.TrackedActions) != 2 ||
				g.TrackedActions[1].Action != "CreateBucket" || !g.TrackedActions[1].LastAccessed.IsZero() {
				t.Fatalf("s3 = %+v, want %+v", g, want)
			}
			if got[1].TrackedActions != nil {
				t.Fatalf("kms has no action-level data but TrackedActions = %v", got[1].TrackedActions)
			}
		})
	}
}

// byARN fails the generate call for one principal and answers for the others.
type byARN struct {
	bad string
}

func (b *byARN) GenerateServiceLastAccessedDetails(ctx context.Context, in *iam.GenerateServiceLastAccessedDetailsInput, o ...func(*iam.Options)) (*iam.GenerateServiceLastAccessedDetailsOutput, error) {
	if aws.ToString(in.Arn) == b.bad {
		return nil, errors.New("ThrottlingException")
	}
	return &iam.GenerateServiceLastAccessedDetailsOutput{JobId: aws.String("job")}, nil
}

func (b *byARN) GetServiceLastAccessedDetails(ctx context.Context, in *iam.GetServiceLastAccessedDetailsInput, o ...func(*iam.Options)) (*iam.GetServiceLastAccessedDetailsOutput, error) {
	return &iam.GetServiceLastAccessedDetailsOutput{JobStatus: iamtypes.JobStatusTypeCompleted, ServicesLastAccessed: []iamtypes.ServiceLastAccessed{}}, nil
}

func TestLastAccessedLeavesFailedPrincipalsOut(t *testing.T) {
	s := &session{opts: Options{Concurrency: 2}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		failures: map[graph.Area][]string{}, read: map[graph.Area]bool{}}
	data := &inventory.IAMData{
		Users: []inventory.User{{ARN: "arn:aws:iam::123456789012:user/a"}, {ARN: "arn:aws:iam::123456789012:user/b"}},
		Roles: []inventory.Role{{ARN: "arn:aws:iam::123456789012:role/r"}},
	}
	s.lastAccessed(context.Background(), &byARN{bad: "arn:aws:iam::123456789012:user/b"}, data)
	if len(data.LastAccessed) != 2 {
		t.Fatalf("last-accessed data for %d principals, want 2 (a and r)", len(data.LastAccessed))
	}
	if _, ok := data.LastAccessed["arn:aws:iam::123456789012:user/b"]; ok {
		t.Fatal("the principal whose job failed has data: its usage must stay unknown")
	}
	if got := s.failures[graph.Area{Service: ServiceIAM + "/last-accessed"}]; len(got) != 1 || !strings.Contains(got[0], "user/b") {
		t.Fatalf("failures = %v, want one iam/last-accessed failure naming user/b", s.failures)
	}
}
