package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/safetext"
	"github.com/breachpath/breachpath/scoring"
)

// AWS Security Finding Format (ASFF), as Security Hub's BatchImportFindings
// takes it: at most 100 findings a call, schema version 2018-10-08.
const (
	ASFFSchemaVersion = "2018-10-08"
	ASFFMaxBatch      = 100
)

// ASFFOptions say where the findings are imported: the account and region
// whose Security Hub receives them. Security Hub accepts findings of the
// default product only from the account they name, so every finding names
// the importing account (the resource's own account and cloud are in its
// Resources entry and ProductFields).
type ASFFOptions struct {
	AccountID string
	Region    string
	// Partition is aws (default), aws-cn or aws-us-gov.
	Partition string
	// Now stamps findings with no first/last-seen time (zero: time.Now).
	Now time.Time
}

var (
	asffAccount = regexp.MustCompile(`^[0-9]{12}$`)
	asffRegion  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// ASFFFinding is one finding in ASFF. Field names are ASFF's (and the AWS
// SDK's AwsSecurityFinding members); the moto test decodes the output into
// the SDK's type with unknown fields refused.
type ASFFFinding struct {
	SchemaVersion     string            `json:"SchemaVersion"`
	Id                string            `json:"Id"`
	ProductArn        string            `json:"ProductArn"`
	ProductName       string            `json:"ProductName"`
	CompanyName       string            `json:"CompanyName"`
	GeneratorId       string            `json:"GeneratorId"`
	AwsAccountId      string            `json:"AwsAccountId"`
	Types             []string          `json:"Types"`
	FirstObservedAt   string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt    string            `json:"LastObservedAt,omitempty"`
	CreatedAt         string            `json:"CreatedAt"`
	UpdatedAt         string            `json:"UpdatedAt"`
	Severity          asffSeverity      `json:"Severity"`
	Criticality       int               `json:"Criticality"`
	Title             string            `json:"Title"`
	Description       string            `json:"Description"`
	Remediation       *asffRemediation  `json:"Remediation,omitempty"`
	ProductFields     map[string]string `json:"ProductFields"`
	UserDefinedFields map[string]string `json:"UserDefinedFields,omitempty"`
	Resources         []asffResource    `json:"Resources"`
	Compliance        *asffCompliance   `json:"Compliance,omitempty"`
	Workflow          asffWorkflow      `json:"Workflow"`
	RecordState       string            `json:"RecordState"`
}

type asffSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original"`
}

type asffRemediation struct {
	Recommendation struct {
		Text string `json:"Text"`
	} `json:"Recommendation"`
}

type asffResource struct {
	Type      string            `json:"Type"`
	Id        string            `json:"Id"`
	Partition string            `json:"Partition"`
	Region    string            `json:"Region"`
	Tags      map[string]string `json:"Tags,omitempty"`
	Details   *asffDetails      `json:"Details,omitempty"`
}

type asffDetails struct {
	Other map[string]string `json:"Other"`
}

type asffCompliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

type asffWorkflow struct {
	Status string `json:"Status"`
}

// ASFFBatch is one BatchImportFindings request body.
type ASFFBatch struct {
	Findings []ASFFFinding `json:"Findings"`
}

var asffSeverities = [...]string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// ASFF limits (AwsSecurityFinding): Title 256 characters, Description
// 1024, a recommendation 512, a resource tag value 256, 32 related
// requirements, 50 product fields and 50 user-defined fields.
const (
	asffTitle       = 256
	asffDescription = 1024
	asffRecommend   = 512
	asffTagValue    = 256
	asffTagKey      = 128
	asffMaxTags     = 50
	asffMaxReqs     = 32
)

// ASFFBatches turns the risk queue into ASFF findings in batches of at most
// ASFFMaxBatch, in queue order (on-path findings first).
func ASFFBatches(r *scoring.Report, o ASFFOptions) ([]ASFFBatch, error) {
	if r == nil {
		return nil, errors.New("asff: no report")
	}
	if !asffAccount.MatchString(o.AccountID) {
		return nil, fmt.Errorf("asff: account %q: want the 12-digit id of the account whose Security Hub imports the findings", o.AccountID)
	}
	if !asffRegion.MatchString(o.Region) {
		return nil, fmt.Errorf("asff: region %q: want an AWS region such as eu-west-1", o.Region)
	}
	switch o.Partition {
	case "":
		o.Partition = "aws"
	case "aws", "aws-cn", "aws-us-gov":
	default:
		return nil, fmt.Errorf("asff: partition %q: want aws, aws-cn or aws-us-gov", o.Partition)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	product := fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", o.Partition, o.Region, o.AccountID, o.AccountID)
	var out []ASFFBatch
	for i := range r.Queue {
		if len(out) == 0 || len(out[len(out)-1].Findings) == ASFFMaxBatch {
			out = append(out, ASFFBatch{Findings: make([]ASFFFinding, 0, min(ASFFMaxBatch, len(r.Queue)-i))})
		}
		b := &out[len(out)-1]
		b.Findings = append(b.Findings, asffFinding(&r.Queue[i], o, product))
	}
	return out, nil
}

func asffFinding(row *scoring.Prioritised, o ASFFOptions, product string) ASFFFinding {
	f := row.Finding
	first, last := f.FirstSeen, f.LastSeen
	if last.IsZero() {
		last = o.Now
	}
	if first.IsZero() {
		first = last
	}
	sev := min(max(int(f.Severity), 0), int(graph.SeverityCritical))
	category := "Industry and Regulatory Standards"
	if strings.HasPrefix(row.ResourceType, "AWS::") {
		category = "AWS Security Best Practices"
	}
	desc := f.Evidence
	if desc == "" {
		desc = orText(f.Title, f.RuleID)
	}
	desc = "breachpath: " + row.Label + ". " + desc
	a := ASFFFinding{
		SchemaVersion:   ASFFSchemaVersion,
		Id:              f.ID,
		ProductArn:      product,
		ProductName:     ToolName,
		CompanyName:     ToolName,
		GeneratorId:     ToolName + "/" + f.RuleID,
		AwsAccountId:    o.AccountID,
		Types:           []string{"Software and Configuration Checks/" + category + "/" + asffClassifier(f.RuleID)},
		FirstObservedAt: first.UTC().Format(time.RFC3339),
		LastObservedAt:  last.UTC().Format(time.RFC3339),
		CreatedAt:       first.UTC().Format(time.RFC3339),
		UpdatedAt:       last.UTC().Format(time.RFC3339),
		Severity:        asffSeverity{Label: asffSeverities[sev], Original: f.Severity.String()},
		Criticality:     int(row.Priority + 0.5),
		Title:           asffText(orText(f.Title, f.RuleID), asffTitle),
		Description:     asffText(desc, asffDescription),
		ProductFields: map[string]string{
			"breachpath/OnAttackPath": strconv.FormatBool(row.OnPath),
			"breachpath/Conditional":  strconv.FormatBool(row.Conditional),
			"breachpath/Priority":     strconv.FormatFloat(row.Priority, 'f', 1, 64),
			"breachpath/Paths":        strconv.Itoa(row.Paths),
			"breachpath/RuleId":       f.RuleID,
			"breachpath/ResourceId":   asffText(f.Resource, 2048),
		},
		Resources:   []asffResource{asffRes(row, o)},
		Workflow:    asffWorkflow{Status: "NEW"},
		RecordState: "ACTIVE",
	}
	if row.TopPathID != "" {
		a.ProductFields["breachpath/TopPathId"] = row.TopPathID
	}
	if row.Owner != "" {
		a.UserDefinedFields = map[string]string{"owner": asffText(row.Owner, asffTagValue)}
	}
	if f.Remediation != "" {
		a.Remediation = &asffRemediation{}
		a.Remediation.Recommendation.Text = asffText(f.Remediation, asffRecommend)
	}
	c := &asffCompliance{Status: "FAILED"}
	for _, ctl := range f.Controls {
		if len(c.RelatedRequirements) == asffMaxReqs {
			break
		}
		c.RelatedRequirements = append(c.RelatedRequirements, asffText(ctl, 256))
	}
	a.Compliance = c
	if !f.ResolvedAt.IsZero() {
		// fixed: re-importing the same Id archives it in Security Hub
		a.RecordState, a.Workflow.Status, a.Compliance.Status = "ARCHIVED", "RESOLVED", "PASSED"
		a.UpdatedAt = f.ResolvedAt.UTC().Format(time.RFC3339)
	}
	return a
}

// asffRes is the finding's resource: an AWS resource keeps its ARN and its
// ASFF type (AWS::EC2::Instance is AwsEc2Instance); anything else is
// "Other", its cloud and native type in Details.Other.
func asffRes(row *scoring.Prioritised, o ASFFOptions) asffResource {
	f := row.Finding
	res := asffResource{Type: "Other", Id: asffText(f.Resource, 2048), Partition: o.Partition, Region: o.Region}
	if t, ok := strings.CutPrefix(row.ResourceType, "AWS::"); ok && strings.HasPrefix(f.Resource, "arn:") {
		res.Type = asffType(t)
		// the ARN's own region when it has one (global services have none)
		if parts := strings.SplitN(f.Resource, ":", 6); len(parts) == 6 && parts[3] != "" {
			res.Region = parts[3]
		}
		return res
	}
	other := map[string]string{}
	if row.ResourceType != "" {
		other["NativeType"] = asffText(row.ResourceType, 1024)
	}
	if row.ResourceName != "" {
		other["Name"] = asffText(row.ResourceName, 1024)
	}
	if len(other) > 0 {
		res.Details = &asffDetails{Other: other}
	}
	return res
}

// asffTypeExceptions are ASFF resource types that do not follow from the
// CloudFormation name by the casing rule.
var asffTypeExceptions = map[string]string{
	"ElasticLoadBalancingV2::LoadBalancer": "AwsElbv2LoadBalancer",
	"ElasticLoadBalancing::LoadBalancer":   "AwsElbLoadBalancer",
}

// asffType turns a CloudFormation type (without "AWS::") into ASFF's
// resource type: "EC2::Instance" is AwsEc2Instance, "RDS::DBInstance"
// AwsRdsDbInstance — a run of capitals keeps only its first, except the
// last one when a lower-case letter follows (it starts the next word).
func asffType(cfn string) string {
	if t, ok := asffTypeExceptions[cfn]; ok {
		return t
	}
	var b strings.Builder
	b.WriteString("Aws")
	for _, seg := range strings.Split(cfn, "::") {
		r := []rune(seg)
		for i, c := range r {
			upper := c >= 'A' && c <= 'Z'
			prevUpper := i > 0 && r[i-1] >= 'A' && r[i-1] <= 'Z'
			nextLower := i+1 < len(r) && r[i+1] >= 'a' && r[i+1] <= 'z'
			if upper && prevUpper && !nextLower {
				c += 'a' - 'A'
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

// asffClassifier keeps a rule id usable as the last part of a finding
// type (which uses '/' as its separator).
func asffClassifier(rule string) string {
	return strings.ReplaceAll(rule, "/", "-")
}

// asffText is one visible line cut to n characters (ASFF counts
// characters). Estate text is attacker-controlled; Security Hub's console
// shows it as text, and consumers forward it further.
func asffText(s string, n int) string {
	s = safetext.Visible(s)
	if utf8.RuneCountInString(s) > n {
		s = safetext.Truncate(s, n)
	}
	return s
}

// WriteASFF writes the batches as JSON lines: each line is one
// BatchImportFindings request body ({"Findings": [...]}, at most 100),
// ready for `aws securityhub batch-import-findings --cli-input-json`.
func WriteASFF(w io.Writer, r *scoring.Report, o ASFFOptions) error {
	batches, err := ASFFBatches(r, o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for i := range batches {
		if err := enc.Encode(&batches[i]); err != nil {
			return fmt.Errorf("export asff: %w", err)
		}
	}
	return nil
}
