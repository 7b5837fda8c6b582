// Package cai reads Cloud Asset Inventory export files into an inventory:
//
//   - `gcloud asset export --content-type=resource|iam-policy|org-policy`
//     output as written to Cloud Storage: newline-delimited JSON, one asset
//     per line, snake_case keys;
//   - `gcloud asset list --format=json`: a JSON array of assets, camelCase;
//   - `gcloud asset search-all-iam-policies --format=json`: a JSON array of
//     IAM policy search results (resource, project, folders, organization,
//     policy).
//
// Files are untrusted input: sizes are capped and every record is
// validated; a malformed record, or one that names a key twice
// (collector/strictjson), fails the import with its line number.
package cai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/strictjson"
)

// MaxFileBytes bounds one export file.
const MaxFileBytes = 4 << 30

// MaxRecords bounds the records of one file.
const MaxRecords = 10_000_000

// Format is the shape of an export file.
type Format string

// Formats Read recognises.
const (
	FormatNDJSON     Format = "cai-ndjson" // gcloud asset export
	FormatAssetArray Format = "cai-json"   // gcloud asset list --format=json
	FormatIAMSearch  Format = "iam-search" // gcloud asset search-all-iam-policies --format=json
	FormatActivity   Format = "activity"   // gcloud policy-intelligence query-activity --format=json
	// FormatDenyPolicies is an array of `gcloud iam policies get
	// --kind=denypolicies --format=json` outputs (kind DenyPolicy).
	FormatDenyPolicies Format = "deny-policies"
	// FormatPerimeters is `gcloud access-context-manager perimeters list
	// --policy=P --format=json` (VPC Service Controls).
	FormatPerimeters Format = "perimeters"
	// FormatInsights is `gcloud recommender insights list
	// --insight-type=google.iam.policy.Insight --format=json` (permission use).
	FormatInsights Format = "insights"
	// FormatDataProfiles is Sensitive Data Protection data profiles (the
	// tableDataProfiles, fileStoreDataProfiles or projectDataProfiles
	// array of a projects.locations.<kind>.list answer, for example
	// `jq '.tableDataProfiles'`), as a JSON array or NDJSON.
	FormatDataProfiles Format = "dlp-profiles"
	FormatUnsupported  Format = ""
)

// ReadFile reads one export file into inv and returns its format and the
// number of records read.
func ReadFile(ctx context.Context, path string, inv *inventory.Inventory) (Format, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	format, n, err := Read(ctx, f, inv)
	if err != nil {
		return format, n, fmt.Errorf("read %s: %w", path, err)
	}
	return format, n, nil
}

// Read reads one export from r into inv.
func Read(ctx context.Context, r io.Reader, inv *inventory.Inventory) (Format, int, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxFileBytes), 1<<20)
	first, err := firstByte(br)
	if err != nil {
		return "", 0, err
	}
	if first == '[' {
		return readArray(ctx, br, inv)
	}
	if first != '{' {
		return "", 0, fmt.Errorf("not a Cloud Asset Inventory export: starts with %q", first)
	}
	n, err := readNDJSON(ctx, br, inv)
	return FormatNDJSON, n, err
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, fmt.Errorf("empty file")
		}
		if err != nil {
			return 0, err
		}
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			continue
		}
		return c, br.UnreadByte()
	}
}

func readNDJSON(ctx context.Context, br *bufio.Reader, inv *inventory.Inventory) (int, error) {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), inventory.MaxAssetBytes)
	n, line := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if line%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if n++; n > MaxRecords {
			return n, fmt.Errorf("more than %d records", MaxRecords)
		}
		a, err := inventory.ParseAsset(b)
		if err != nil {
			return n, fmt.Errorf("line %d: %w", line, err)
		}
		if err := inv.Add(a); err != nil {
			return n, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("line %d: %w", line+1, err)
	}
	return n, nil
}

func readArray(ctx context.Context, br *bufio.Reader, inv *inventory.Inventory) (Format, int, error) {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return "", 0, err
	}
	format := FormatUnsupported
	n := 0
	for dec.More() {
		if n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return format, n, err
			}
		}
		if n++; n > MaxRecords {
			return format, n, fmt.Errorf("more than %d records", MaxRecords)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return format, n, fmt.Errorf("record %d: %w", n, err)
		}
		if len(raw) > inventory.MaxAssetBytes {
			return format, n, fmt.Errorf("record %d: %d bytes exceeds %d", n, len(raw), inventory.MaxAssetBytes)
		}
		var probe struct {
			Name         string          `json:"name"`
			Kind         string          `json:"kind"`
			Resource     json.RawMessage `json:"resource"`
			Policy       json.RawMessage `json:"policy"`
			ActivityType string          `json:"activityType"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return format, n, fmt.Errorf("record %d: %w", n, err)
		}
		if probe.ActivityType != "" || probe.Kind == "DenyPolicy" || (probe.Name == "" && probe.Policy != nil) {
			// decoded straight into structs, whose field matching ignores
			// case: keys equal but for case are one key (assets are checked
			// by ParseAsset)
			if err := strictjson.Check(raw, true); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
		}
		if strings.HasPrefix(probe.Name, "accessPolicies/") && strings.Contains(probe.Name, "/servicePerimeters/") {
			format = FormatPerimeters
			var p inventory.Perimeter
			if err := strictjson.Check(raw, true); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			inv.Perimeters = append(inv.Perimeters, p)
			continue
		}
		if inventory.ProfileKind(probe.Name) != "" {
			format = FormatDataProfiles
			if err := strictjson.Check(raw, true); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			var p inventory.DataProfile
			if err := json.Unmarshal(raw, &p); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			inv.AddDataProfile(p)
			continue
		}
		if strings.Contains(probe.Name, "/insightTypes/google.iam.policy.Insight/insights/") {
			format = FormatInsights
			if err := strictjson.Check(raw, true); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			var pi inventory.PolicyInsight
			if err := json.Unmarshal(raw, &pi); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			// projects/<id or number>/locations/global/insightTypes/...
			project := strings.Split(strings.TrimPrefix(probe.Name, "projects/"), "/")[0]
			inv.AddInsight(project, pi)
			continue
		}
		if probe.Kind == "DenyPolicy" {
			format = FormatDenyPolicies
			var d inventory.DenyPolicy
			if err := json.Unmarshal(raw, &d); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			if err := inv.AddDenyPolicy(d); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			continue
		}
		if probe.ActivityType != "" {
			format = FormatActivity
			var act inventory.Activity
			if err := json.Unmarshal(raw, &act); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			if err := inv.AddKeyActivity(act); err != nil {
				return format, n, fmt.Errorf("record %d: %w", n, err)
			}
			continue
		}
		var a *inventory.Asset
		var err error
		if probe.Name == "" && probe.Policy != nil {
			format = FormatIAMSearch
			a, err = searchResult(raw)
		} else {
			format = FormatAssetArray
			a, err = inventory.ParseAsset(raw)
		}
		if err != nil {
			return format, n, fmt.Errorf("record %d: %w", n, err)
		}
		if err := inv.Add(a); err != nil {
			return format, n, fmt.Errorf("record %d: %w", n, err)
		}
	}
	return format, n, nil
}

// searchResult converts one IamPolicySearchResult to an asset carrying
// only the IAM policy and the ancestors the result names.
func searchResult(raw json.RawMessage) (*inventory.Asset, error) {
	var r struct {
		Resource     string            `json:"resource"`
		AssetType    string            `json:"assetType"`
		Project      string            `json:"project"`
		Folders      []string          `json:"folders"`
		Organization string            `json:"organization"`
		Policy       *inventory.Policy `json:"policy"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(r.Resource, "//") {
		return nil, fmt.Errorf("search result resource %q is not a full resource name", r.Resource)
	}
	a := &inventory.Asset{Name: r.Resource, AssetType: r.AssetType, IAMPolicy: r.Policy}
	if a.IAMPolicy == nil {
		a.IAMPolicy = &inventory.Policy{}
	}
	if r.Project != "" {
		a.Ancestors = append(a.Ancestors, r.Project)
	}
	a.Ancestors = append(a.Ancestors, r.Folders...)
	if r.Organization != "" {
		a.Ancestors = append(a.Ancestors, r.Organization)
	}
	return a, nil
}
