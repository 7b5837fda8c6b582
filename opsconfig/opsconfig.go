// Package opsconfig reads the operations config file: which clouds,
// accounts, subscriptions and projects `breachpath collect all` and the
// scheduled collections of `breachpath serve --collect-every` collect, how
// often and how failures back off, and (section notify) where notifications
// go. docs/operations.md documents the format.
//
// The file names targets, never credentials: every target authenticates
// through its cloud's standard chain (AWS profile or environment, Azure
// DefaultAzureCredential, Google Application Default Credentials). The
// per-target endpoint overrides exist for emulators and tests.
//
// The package only parses and validates; it imports nothing of breachpath,
// so every layer may read it.
package opsconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// MaxFileBytes caps the config file: it is a list of targets, never data.
const MaxFileBytes = 1 << 20

// Clouds a target may name.
const (
	AWS   = "aws"
	Azure = "azure"
	GCP   = "gcp"
)

// Defaults of the schedule section.
const (
	DefaultBackoffInitial = 5 * time.Minute
	DefaultTimeout        = 2 * time.Hour
	// DefaultJitterFraction of Every is the jitter when none is given.
	DefaultJitterFraction = 10
)

// Config is the whole file.
type Config struct {
	// Schedule says how often and how patiently targets are collected.
	Schedule Schedule `yaml:"schedule" json:"schedule"`
	// Targets are collected in the order listed by `collect all`.
	Targets []Target `yaml:"targets" json:"targets"`
	// Notify configures notifications (notify.go).
	Notify Notify `yaml:"notify" json:"notify"`
	// Owners says how a finding's owner is found (notify.go).
	Owners Owners `yaml:"owners" json:"owners"`
}

// Schedule is the schedule section. Zero values take the defaults that
// Config.Normalize fills in.
type Schedule struct {
	// Every is the interval between two collections of a target (serve's
	// --collect-every overrides it). Zero: no scheduled collection.
	Every Duration `yaml:"every" json:"every"`
	// Jitter is the largest random delay added to every wait, so that many
	// targets (and many servers) do not all call the clouds at once.
	// Default: a tenth of Every.
	Jitter Duration `yaml:"jitter" json:"jitter"`
	// BackoffInitial is the wait after a first failed run; it doubles with
	// every further failure up to BackoffMax (default: Every).
	BackoffInitial Duration `yaml:"backoff_initial" json:"backoff_initial"`
	BackoffMax     Duration `yaml:"backoff_max" json:"backoff_max"`
	// Timeout bounds one run of one target (default 2h).
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// Concurrency is how many targets may collect at once (default 1: a
	// collection is heavy, and scopes written one at a time keep the
	// change ledger's observations one per run).
	Concurrency int `yaml:"concurrency" json:"concurrency"`
}

// Target is one thing to collect: an AWS account (or organisation), an
// Azure tenant's subscriptions, or a GCP organisation, folder or project.
type Target struct {
	// Name identifies the target in status, logs and notifications.
	Name  string `yaml:"name" json:"name"`
	Cloud string `yaml:"cloud" json:"cloud"`
	// FromFiles imports export files instead of calling the cloud (the
	// same files `collect <cloud> --from-file` reads).
	FromFiles []string `yaml:"from_files,omitempty" json:"from_files,omitempty"`

	AWS   *AWSTarget   `yaml:"aws,omitempty" json:"aws,omitempty"`
	Azure *AzureTarget `yaml:"azure,omitempty" json:"azure,omitempty"`
	GCP   *GCPTarget   `yaml:"gcp,omitempty" json:"gcp,omitempty"`
}

// AWSTarget are the options of `collect aws`.
type AWSTarget struct {
	Profile      string   `yaml:"profile,omitempty" json:"profile,omitempty"`
	Regions      []string `yaml:"regions,omitempty" json:"regions,omitempty"`
	Org          bool     `yaml:"org,omitempty" json:"org,omitempty"`
	RoleName     string   `yaml:"role_name,omitempty" json:"role_name,omitempty"`
	LastAccessed bool     `yaml:"last_accessed,omitempty" json:"last_accessed,omitempty"`
	Concurrency  int      `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// Endpoint sends every AWS client to this URL (an emulator such as
	// moto, or a proxy), as AWS_ENDPOINT_URL does for one process.
	Endpoint string `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
}

// AzureTarget are the options of `collect azure`.
type AzureTarget struct {
	Subscriptions     []string `yaml:"subscriptions,omitempty" json:"subscriptions,omitempty"`
	Tenant            string   `yaml:"tenant,omitempty" json:"tenant,omitempty"`
	SkipEntra         bool     `yaml:"skip_entra,omitempty" json:"skip_entra,omitempty"`
	VerifyPublicBlobs bool     `yaml:"verify_public_blobs,omitempty" json:"verify_public_blobs,omitempty"`
	Concurrency       int      `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// ARMEndpoint and GraphEndpoint replace Azure Resource Manager's and
	// Microsoft Graph's base URLs (sovereign clouds, tests).
	ARMEndpoint   string `yaml:"arm_endpoint,omitempty" json:"arm_endpoint,omitempty"`
	GraphEndpoint string `yaml:"graph_endpoint,omitempty" json:"graph_endpoint,omitempty"`
}

// GCPTarget are the options of `collect gcp`; exactly one of Organization,
// Folder and Project is set unless the target imports files.
type GCPTarget struct {
	Organization              string   `yaml:"organization,omitempty" json:"organization,omitempty"`
	Folder                    string   `yaml:"folder,omitempty" json:"folder,omitempty"`
	Project                   string   `yaml:"project,omitempty" json:"project,omitempty"`
	ImpersonateServiceAccount string   `yaml:"impersonate_service_account,omitempty" json:"impersonate_service_account,omitempty"`
	Domains                   []string `yaml:"domains,omitempty" json:"domains,omitempty"`
	NoStorageAPI              bool     `yaml:"no_storage_api,omitempty" json:"no_storage_api,omitempty"`
	KeyActivity               bool     `yaml:"key_activity,omitempty" json:"key_activity,omitempty"`
	NoServiceAPIs             bool     `yaml:"no_service_apis,omitempty" json:"no_service_apis,omitempty"`
	// Endpoints override an API's endpoint by its gcloud name (cloudasset,
	// storage, compute, ...), as CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> does
	// for one run; an http:// endpoint (an emulator) is called without
	// credentials.
	Endpoints map[string]string `yaml:"endpoints,omitempty" json:"endpoints,omitempty"`
}

// Duration is a time.Duration written as Go writes it ("6h", "90m").
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads "6h"-style strings.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 6h or 90m", n.Line)
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q: want a duration such as 6h or 90m", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalText writes the duration as a string (JSON).
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Load reads and validates the config file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc) > MaxFileBytes {
		return nil, fmt.Errorf("config %s: larger than %d bytes", path, MaxFileBytes)
	}
	c, err := Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a config document (YAML, or JSON, which YAML includes).
// Unknown keys and keys given twice are errors: a misspelt option must not
// silently collect less than the reader thinks.
func Parse(doc []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty config: want targets, owners or notify")
		}
		return nil, fmt.Errorf("parse: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("parse: more than one YAML document")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.Normalize()
	return &c, nil
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	apiName     = regexp.MustCompile(`^[a-z][a-z0-9]{1,40}$`)
)

// Validate checks the whole file and names the first problem.
func (c *Config) Validate() error {
	// No targets is valid: a file may configure only owners and
	// notifications; `collect all` and scheduled collection say so.
	s := c.Schedule
	if s.Concurrency < 0 || s.Concurrency > 16 {
		return fmt.Errorf("schedule.concurrency %d: want 1..16", s.Concurrency)
	}
	if s.Every.D() != 0 && s.Every.D() < time.Minute {
		return fmt.Errorf("schedule.every %s: want at least 1m", s.Every.D())
	}
	if s.BackoffMax.D() != 0 && s.BackoffInitial.D() > s.BackoffMax.D() {
		return fmt.Errorf("schedule.backoff_initial %s is above backoff_max %s", s.BackoffInitial.D(), s.BackoffMax.D())
	}
	seen := map[string]bool{}
	for i := range c.Targets {
		t := &c.Targets[i]
		if err := t.validate(); err != nil {
			if t.Name != "" {
				return fmt.Errorf("target %q: %w", t.Name, err)
			}
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
		if seen[t.Name] {
			return fmt.Errorf("target %q is listed twice", t.Name)
		}
		seen[t.Name] = true
	}
	return c.Notify.validate()
}

func (t *Target) validate() error {
	if !namePattern.MatchString(t.Name) {
		return fmt.Errorf("name %q: want 1-64 letters, digits, '.', '_' or '-'", t.Name)
	}
	sections := 0
	for _, set := range []bool{t.AWS != nil, t.Azure != nil, t.GCP != nil} {
		if set {
			sections++
		}
	}
	if sections > 1 {
		return errors.New("more than one of aws, azure and gcp")
	}
	for _, f := range t.FromFiles {
		if strings.TrimSpace(f) == "" {
			return errors.New("from_files has an empty name")
		}
	}
	offline := len(t.FromFiles) > 0
	switch t.Cloud {
	case AWS:
		if t.Azure != nil || t.GCP != nil {
			return errors.New("cloud aws takes an aws section only")
		}
		if a := t.AWS; a != nil {
			switch {
			case a.Org && a.RoleName == "":
				return errors.New("aws.org needs aws.role_name (the role to assume in each member account)")
			case !a.Org && a.RoleName != "":
				return errors.New("aws.role_name is only used with aws.org")
			case a.Concurrency < 0 || a.Concurrency > 64:
				return fmt.Errorf("aws.concurrency %d: want 1..64", a.Concurrency)
			case offline && (a.Org || len(a.Regions) > 0 || a.Profile != "" || a.LastAccessed || a.Endpoint != ""):
				return errors.New("from_files reads no AWS API: it cannot be combined with aws options")
			case slices.ContainsFunc(a.Regions, func(r string) bool { return strings.TrimSpace(r) == "" }):
				return errors.New("aws.regions has an empty region name")
			}
			if err := checkEndpoint("aws.endpoint", a.Endpoint); err != nil {
				return err
			}
		}
	case Azure:
		if t.AWS != nil || t.GCP != nil {
			return errors.New("cloud azure takes an azure section only")
		}
		if z := t.Azure; z != nil {
			switch {
			case z.Concurrency < 0 || z.Concurrency > 64:
				return fmt.Errorf("azure.concurrency %d: want 1..64", z.Concurrency)
			case offline && (z.SkipEntra || z.VerifyPublicBlobs || z.ARMEndpoint != "" || z.GraphEndpoint != ""):
				return errors.New("from_files reads no Azure API: it cannot be combined with skip_entra, verify_public_blobs or endpoints")
			case slices.ContainsFunc(z.Subscriptions, func(s string) bool { return strings.TrimSpace(s) == "" }):
				return errors.New("azure.subscriptions has an empty id")
			}
			for _, e := range []struct{ name, v string }{{"azure.arm_endpoint", z.ARMEndpoint}, {"azure.graph_endpoint", z.GraphEndpoint}} {
				if err := checkEndpoint(e.name, e.v); err != nil {
					return err
				}
			}
		}
	case GCP:
		if t.AWS != nil || t.Azure != nil {
			return errors.New("cloud gcp takes a gcp section only")
		}
		g := t.GCP
		if g == nil {
			g = &GCPTarget{}
		}
		set := 0
		for _, v := range []string{g.Organization, g.Folder, g.Project} {
			if v != "" {
				set++
			}
		}
		switch {
		case offline && (set > 0 || g.ImpersonateServiceAccount != "" || len(g.Endpoints) > 0 || g.KeyActivity):
			return errors.New("from_files reads no GCP API: it cannot be combined with organization, folder, project, impersonation, key_activity or endpoints")
		case !offline && set != 1:
			return errors.New("gcp needs exactly one of organization, folder and project")
		}
		for api, v := range g.Endpoints {
			if !apiName.MatchString(api) {
				return fmt.Errorf("gcp.endpoints: %q is not an API name such as cloudasset or storage", api)
			}
			if err := checkEndpoint("gcp.endpoints."+api, v); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("cloud %q: want aws, azure or gcp", t.Cloud)
	}
	return nil
}

// checkEndpoint accepts an empty value or an http(s) URL without user
// information: credentials never go into this file.
func checkEndpoint(name, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an http(s) URL", name, v)
	}
	if u.User != nil {
		return fmt.Errorf("%s: credentials do not belong in the config file (use the cloud's credential chain)", name)
	}
	return nil
}

// Normalize fills in the schedule's defaults. Every stays as given (zero:
// no schedule from the file); the others derive from it.
func (c *Config) Normalize() {
	c.Schedule = c.Schedule.WithEvery(c.Schedule.Every.D())
}

// WithEvery returns the schedule for an interval (serve's --collect-every
// overriding the file's), its defaults derived from that interval where
// the file left them unset.
func (s Schedule) WithEvery(every time.Duration) Schedule {
	s.Every = Duration(every)
	if s.Concurrency == 0 {
		s.Concurrency = 1
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultTimeout)
	}
	if s.BackoffInitial == 0 {
		s.BackoffInitial = Duration(min(DefaultBackoffInitial, max(every, time.Minute)))
	}
	if s.BackoffMax == 0 && every > 0 {
		s.BackoffMax = Duration(max(every, s.BackoffInitial.D()))
	}
	if s.Jitter == 0 {
		s.Jitter = Duration(every / DefaultJitterFraction)
	}
	return s
}

// Target returns the target named name.
func (c *Config) Target(name string) (*Target, bool) {
	for i := range c.Targets {
		if c.Targets[i].Name == name {
			return &c.Targets[i], true
		}
	}
	return nil, false
}
