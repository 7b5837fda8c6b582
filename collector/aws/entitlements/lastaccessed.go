package entitlements

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// maxLastAccessedFile bounds a last-accessed file.
const maxLastAccessedFile = 256 << 20

// lastAccessedDetails is the output of `aws iam
// get-service-last-accessed-details` (GetServiceLastAccessedDetails).
type lastAccessedDetails struct {
	JobStatus            string `json:"JobStatus"`
	JobType              string `json:"JobType"`
	ServicesLastAccessed []struct {
		ServiceName                string     `json:"ServiceName"`
		ServiceNamespace           string     `json:"ServiceNamespace"`
		LastAuthenticated          *time.Time `json:"LastAuthenticated"`
		LastAuthenticatedEntity    string     `json:"LastAuthenticatedEntity"`
		LastAuthenticatedRegion    string     `json:"LastAuthenticatedRegion"`
		TotalAuthenticatedEntities int32      `json:"TotalAuthenticatedEntities"`
		TrackedActionsLastAccessed []struct {
			ActionName         string     `json:"ActionName"`
			LastAccessedEntity string     `json:"LastAccessedEntity"`
			LastAccessedTime   *time.Time `json:"LastAccessedTime"`
			LastAccessedRegion string     `json:"LastAccessedRegion"`
		} `json:"TrackedActionsLastAccessed"`
	} `json:"ServicesLastAccessed"`
	IsTruncated bool `json:"IsTruncated"`
}

// ParseLastAccessed reads a last-accessed file: a JSON object mapping each
// principal ARN to the output of `aws iam get-service-last-accessed-details
// --job-id <id>` for a job generated with --granularity ACTION_LEVEL (or
// SERVICE_LEVEL). Jobs that did not complete are an error: a partial report
// would make used services look unused.
func ParseLastAccessed(r io.Reader) (map[string][]inventory.ServiceLastAccessed, error) {
	lr := &io.LimitedReader{R: r, N: maxLastAccessedFile + 1}
	var raw map[string]lastAccessedDetails
	if err := json.NewDecoder(lr).Decode(&raw); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("last-accessed data: larger than %d bytes", maxLastAccessedFile)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("last-accessed data: truncated JSON")
		}
		return nil, fmt.Errorf("last-accessed data: %w", err)
	}
	out := make(map[string][]inventory.ServiceLastAccessed, len(raw))
	for arn, d := range raw {
		if !strings.HasPrefix(arn, "arn:") {
			return nil, fmt.Errorf("last-accessed data: key %q is not a principal ARN", arn)
		}
		if d.JobStatus != "" && d.JobStatus != "COMPLETED" {
			return nil, fmt.Errorf("last-accessed data for %s: job status %s, want COMPLETED", arn, d.JobStatus)
		}
		if d.IsTruncated {
			return nil, fmt.Errorf("last-accessed data for %s: truncated (IsTruncated); fetch every page", arn)
		}
		svcs := []inventory.ServiceLastAccessed{}
		for _, s := range d.ServicesLastAccessed {
			if s.ServiceNamespace == "" {
				return nil, fmt.Errorf("last-accessed data for %s: service %q has no ServiceNamespace", arn, s.ServiceName)
			}
			sl := inventory.ServiceLastAccessed{Namespace: s.ServiceNamespace, Name: s.ServiceName, LastAuthenticated: timeOrZero(s.LastAuthenticated),
				LastAuthenticatedEntity: s.LastAuthenticatedEntity, LastAuthenticatedRegion: s.LastAuthenticatedRegion,
				TotalAuthenticatedEntities: s.TotalAuthenticatedEntities}
			if s.TrackedActionsLastAccessed != nil {
				sl.TrackedActions = []inventory.ActionLastAccessed{}
			}
			for _, t := range s.TrackedActionsLastAccessed {
				sl.TrackedActions = append(sl.TrackedActions, inventory.ActionLastAccessed{Action: t.ActionName,
					LastAccessed: timeOrZero(t.LastAccessedTime), Entity: t.LastAccessedEntity, Region: t.LastAccessedRegion})
			}
			svcs = append(svcs, sl)
		}
		out[arn] = svcs
	}
	return out, nil
}

// ReadLastAccessedFile is ParseLastAccessed on a file.
func ReadLastAccessedFile(path string) (map[string][]inventory.ServiceLastAccessed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("last-accessed data: %w", err)
	}
	defer f.Close()
	m, err := ParseLastAccessed(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadUsageFile reads a last-accessed file (see ParseLastAccessed) into
// usage per principal ARN, ready for TransformOptions.Usage or the report.
// The file's modification time stands for when the data was read: usage
// after it is unknown.
func ReadUsageFile(path string) (map[string]*entitlement.UsageData, error) {
	la, err := ReadLastAccessedFile(path)
	if err != nil {
		return nil, err
	}
	var read time.Time
	if st, err := os.Stat(path); err == nil {
		read = st.ModTime().UTC()
	}
	usage := make(map[string]*entitlement.UsageData, len(la))
	for arn, svcs := range la {
		usage[arn] = FromLastAccessed(svcs, read)
	}
	return usage, nil
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
