package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

//go:embed data/aws-managed-policies.json.gz
var managedGz []byte

// ManagedPolicyInfo describes one AWS managed policy of the embedded snapshot.
type ManagedPolicyInfo struct {
	Name       string
	ARN        string
	Version    string
	Deprecated bool
	Document   json.RawMessage
}

var (
	managedOnce sync.Once
	managedByID map[string]*ManagedPolicyInfo
	managedErr  error
)

func loadManaged() {
	zr, err := gzip.NewReader(bytes.NewReader(managedGz))
	if err != nil {
		managedErr = fmt.Errorf("open managed policies gzip: %w", err)
		return
	}
	defer zr.Close()
	var raw struct {
		Policies []struct {
			Name       string          `json:"name"`
			ARN        string          `json:"arn"`
			Version    string          `json:"version"`
			Deprecated bool            `json:"deprecated"`
			Document   json.RawMessage `json:"document"`
		} `json:"policies"`
	}
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		managedErr = fmt.Errorf("decode managed policies: %w", err)
		return
	}
	managedByID = make(map[string]*ManagedPolicyInfo, len(raw.Policies))
	for _, p := range raw.Policies {
		managedByID[p.ARN] = &ManagedPolicyInfo{Name: p.Name, ARN: p.ARN, Version: p.Version, Deprecated: p.Deprecated, Document: p.Document}
	}
}

// ManagedPolicy returns the JSON document of an AWS managed policy by ARN
// ("arn:aws:iam::aws:policy/AdministratorAccess", paths included as in
// ".../policy/service-role/AWSLambdaBasicExecutionRole"). The bytes are shared: do not modify them.
func ManagedPolicy(arn string) (doc []byte, ok bool) {
	info, ok := ManagedPolicyByARN(arn)
	if !ok {
		return nil, false
	}
	return info.Document, true
}

// ManagedPolicyByARN returns the managed policy's metadata and document.
func ManagedPolicyByARN(arn string) (ManagedPolicyInfo, bool) {
	managedOnce.Do(loadManaged)
	if managedErr != nil {
		return ManagedPolicyInfo{}, false
	}
	p, ok := managedByID[arn]
	if !ok {
		return ManagedPolicyInfo{}, false
	}
	return *p, true
}

// ManagedPolicyARNs lists the ARNs of all embedded AWS managed policies, sorted. It returns an error
// only if the embedded data is corrupt.
func ManagedPolicyARNs() ([]string, error) {
	managedOnce.Do(loadManaged)
	if managedErr != nil {
		return nil, managedErr
	}
	out := make([]string, 0, len(managedByID))
	for arn := range managedByID {
		out = append(out, arn)
	}
	sort.Strings(out)
	return out, nil
}
