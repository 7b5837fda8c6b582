// Package authdetails turns IAM authorization details — the JSON printed by
// `aws iam get-account-authorization-details`, or the pages the live
// collector reads through the SDK — into inventory.IAMData. Both paths go
// through Details.IAMData, so an offline import and a live collection of the
// same account yield the same principals and policies.
package authdetails

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/breachpath/breachpath/collector/strictjson"
	"io"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxSize bounds the input Parse accepts. The largest real accounts
// produce documents of a few hundred MiB; anything larger is refused rather
// than read into memory.
const DefaultMaxSize int64 = 512 << 20

// Details is one account's authorization details, in the shape of the
// GetAccountAuthorizationDetails response (all pages merged).
type Details struct {
	UserDetailList  []UserDetail   `json:"UserDetailList"`
	GroupDetailList []GroupDetail  `json:"GroupDetailList"`
	RoleDetailList  []RoleDetail   `json:"RoleDetailList"`
	Policies        []PolicyDetail `json:"Policies"`
	// IsTruncated is set in a single raw API page that has more pages; an
	// export with it set is incomplete.
	IsTruncated bool `json:"IsTruncated"`
}

// UserDetail is an entry of UserDetailList.
type UserDetail struct {
	Path                    string               `json:"Path"`
	UserName                string               `json:"UserName"`
	UserID                  string               `json:"UserId"`
	Arn                     string               `json:"Arn"`
	CreateDate              Time                 `json:"CreateDate"`
	UserPolicyList          []InlinePolicy       `json:"UserPolicyList"`
	GroupList               []string             `json:"GroupList"`
	AttachedManagedPolicies []AttachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *PermissionsBoundary `json:"PermissionsBoundary"`
	Tags                    []Tag                `json:"Tags"`
}

// GroupDetail is an entry of GroupDetailList.
type GroupDetail struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              Time             `json:"CreateDate"`
	GroupPolicyList         []InlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
}

// RoleDetail is an entry of RoleDetailList.
type RoleDetail struct {
	Path                     string               `json:"Path"`
	RoleName                 string               `json:"RoleName"`
	RoleID                   string               `json:"RoleId"`
	Arn                      string               `json:"Arn"`
	CreateDate               Time                 `json:"CreateDate"`
	AssumeRolePolicyDocument Document             `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []InstanceProfile    `json:"InstanceProfileList"`
	RolePolicyList           []InlinePolicy       `json:"RolePolicyList"`
	AttachedManagedPolicies  []AttachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *PermissionsBoundary `json:"PermissionsBoundary"`
	Tags                     []Tag                `json:"Tags"`
	RoleLastUsed             *RoleLastUsed        `json:"RoleLastUsed"`
	MaxSessionDuration       int32                `json:"MaxSessionDuration"`
}

// InstanceProfile is an entry of a role's InstanceProfileList.
type InstanceProfile struct {
	Path                string    `json:"Path"`
	InstanceProfileName string    `json:"InstanceProfileName"`
	InstanceProfileID   string    `json:"InstanceProfileId"`
	Arn                 string    `json:"Arn"`
	CreateDate          Time      `json:"CreateDate"`
	Roles               []RoleRef `json:"Roles"`
	Tags                []Tag     `json:"Tags"`
}

// RoleRef is a role listed inside an instance profile; only its ARN matters
// because the role itself is in RoleDetailList.
type RoleRef struct {
	Arn string `json:"Arn"`
}

// PolicyDetail is an entry of Policies: a managed policy with its versions.
type PolicyDetail struct {
	PolicyName                    string          `json:"PolicyName"`
	PolicyID                      string          `json:"PolicyId"`
	Arn                           string          `json:"Arn"`
	Path                          string          `json:"Path"`
	DefaultVersionID              string          `json:"DefaultVersionId"`
	AttachmentCount               int32           `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32           `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool            `json:"IsAttachable"`
	CreateDate                    Time            `json:"CreateDate"`
	UpdateDate                    Time            `json:"UpdateDate"`
	PolicyVersionList             []PolicyVersion `json:"PolicyVersionList"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	Document         Document `json:"Document"`
	VersionID        string   `json:"VersionId"`
	IsDefaultVersion bool     `json:"IsDefaultVersion"`
	CreateDate       Time     `json:"CreateDate"`
}

// InlinePolicy is an entry of UserPolicyList, GroupPolicyList or RolePolicyList.
type InlinePolicy struct {
	PolicyName     string   `json:"PolicyName"`
	PolicyDocument Document `json:"PolicyDocument"`
}

// AttachedPolicy names a managed policy attached to a principal.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// PermissionsBoundary is a principal's permissions boundary.
type PermissionsBoundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

// RoleLastUsed says when and where a role was last assumed.
type RoleLastUsed struct {
	LastUsedDate Time   `json:"LastUsedDate"`
	Region       string `json:"Region"`
}

// Tag is a key/value tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Document is a policy document. The raw API (and so the SDK) returns
// documents URL-encoded (RFC 3986) as strings; the AWS CLI decodes them into
// JSON objects. Document accepts both and Text yields the JSON text.
type Document struct {
	raw     string
	encoded bool
}

// EncodedDocument wraps a URL-encoded document as the API returns it.
func EncodedDocument(s string) Document { return Document{raw: s, encoded: true} }

// UnmarshalJSON accepts a JSON object or a (possibly URL-encoded) string.
func (d *Document) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*d = Document{}
	case b[0] == '{':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return fmt.Errorf("policy document: %w", err)
		}
		*d = Document{raw: buf.String()}
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("policy document: %w", err)
		}
		*d = Document{raw: s, encoded: true}
	default:
		return errors.New("policy document must be a JSON object or a string")
	}
	return nil
}

// IsZero reports whether no document was given.
func (d Document) IsZero() bool { return d.raw == "" }

// MarshalJSON writes the document as a JSON object, decoded, as the AWS CLI prints it; a document
// that does not decode is written as the string it was given, so that nothing is lost.
func (d Document) MarshalJSON() ([]byte, error) {
	if d.raw == "" {
		return []byte("null"), nil
	}
	if t, err := d.Text(); err == nil {
		return []byte(t), nil
	}
	return json.Marshal(d.raw)
}

// Text returns the document as JSON text, URL-decoding it when needed, and
// checks that the result is a JSON object.
func (d Document) Text() (string, error) {
	if d.raw == "" {
		return "", nil
	}
	s := d.raw
	// A string that is already JSON (some exporters decode but keep a string)
	// must not be URL-decoded: a literal '%' in a condition would break.
	if d.encoded && !strings.HasPrefix(strings.TrimSpace(s), "{") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %w", err)
		}
		s = u
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") || !json.Valid([]byte(t)) {
		return "", errors.New("policy document is not a JSON object")
	}
	return t, nil
}

// Time is a timestamp as the CLI prints it (RFC 3339, with or without a
// "T", with "Z" or an offset). An empty string is the zero time.
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// MarshalJSON writes RFC 3339 in UTC, or "" for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// UnmarshalJSON parses the accepted layouts.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp must be a string, got %.20s", b)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("timestamp %.40q is not RFC 3339", s)
}

// Parse reads a get-account-authorization-details JSON document of at most
// DefaultMaxSize bytes.
func Parse(r io.Reader) (*Details, error) { return ParseLimit(r, DefaultMaxSize) }

// ParseLimit reads a get-account-authorization-details JSON document of at
// most maxSize bytes. Errors are one line and say what is wrong.
func ParseLimit(r io.Reader, maxSize int64) (*Details, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read authorization details: %w", err)
	}
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("authorization details larger than the %d-byte limit", maxSize)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("authorization details: empty input")
	}
	if data[0] != '{' {
		return nil, errors.New("authorization details: want a JSON object with UserDetailList, GroupDetailList, RoleDetailList and Policies")
	}
	// Fields decode into structs, which match keys ignoring case: two keys
	// that differ only in case are a duplicate too.
	if err := strictjson.Check(data, true); err != nil {
		return nil, fmt.Errorf("authorization details: %w", err)
	}
	// Probe the top level first so a document of another kind is named as
	// such rather than silently read as an empty account.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("authorization details: %s", jsonError(err))
	}
	known := 0
	for _, k := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} {
		if _, ok := top[k]; ok {
			known++
		}
	}
	if known == 0 {
		return nil, errors.New("authorization details: none of UserDetailList, GroupDetailList, RoleDetailList, Policies present (is this the output of aws iam get-account-authorization-details?)")
	}
	var d Details
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("authorization details: %s", jsonError(err))
	}
	if d.IsTruncated {
		return nil, errors.New("authorization details: IsTruncated is true, the export holds only the first page (rerun the CLI without --max-items)")
	}
	return &d, nil
}

// jsonError renders a decoding error on one line with the field it concerns.
func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		return "truncated JSON"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s: got JSON %s, want %s", te.Field, te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
