package aws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// ImportAuthDetailsFile reads an `aws iam get-account-authorization-details`
// export and returns the account's snapshot with CIEM entitlements recorded
// on its principals. The export has no last-accessed data: usage is unknown
// unless opts.Usage supplies it.
func ImportAuthDetailsFile(ctx context.Context, path string, opts Options) (*graph.Snapshot, *Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, authdetails.DefaultMaxSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	// The collector's import builds the snapshot; the inventory (with the
	// policy documents) is rebuilt from the same bytes for the analyser.
	snap, _, err := awscollector.FromAuthDetails(ctx, bytes.NewReader(buf), path, awscollector.TransformOptions{Logger: opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	iam, err := authdetails.Load(bytes.NewReader(buf))
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	inv := &inventory.Inventory{AccountID: snap.Scope.ID, Partition: partitionOf(&iam), CollectedAt: snap.CollectedAt, IAM: iam}
	res, err := Annotate(ctx, snap, inv, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	return snap, res, nil
}

// partitionOf takes the partition from the first principal ARN.
func partitionOf(iam *inventory.IAMData) string {
	var arns []string
	for _, u := range iam.Users {
		arns = append(arns, u.ARN)
	}
	for _, r := range iam.Roles {
		arns = append(arns, r.ARN)
	}
	for _, g := range iam.Groups {
		arns = append(arns, g.ARN)
	}
	for _, a := range arns {
		if p := strings.SplitN(a, ":", 3); len(p) == 3 && p[0] == "arn" && p[1] != "" {
			return p[1]
		}
	}
	return "aws"
}
