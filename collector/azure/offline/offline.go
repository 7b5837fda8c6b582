// Package offline imports Azure export files into an inventory: Azure
// Resource Graph query results (resources, resourcecontainers and
// authorizationresources tables), `az role assignment list --all` and
// `az role definition list` output, and AzureHound (the BloodHound Azure
// collector) output. Files are untrusted input: size-capped, refused when
// an object names a key twice (collector/strictjson), parsed strictly per
// record, and a record that does not parse is reported, never guessed.
package offline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/strictjson"
)

// MaxFileBytes caps one import file.
const MaxFileBytes = 2 << 30

// NotInImport is the coverage error of every area an import does not
// contain: the store keeps (and flags stale) what a live collection stored
// for those areas instead of deleting it.
const NotInImport = "not in the offline import; kept from the last collection"

// Format names a recognised file format.
type Format string

// Recognised formats.
const (
	FormatResourceGraph   Format = "resource-graph"
	FormatRoleAssignments Format = "az-role-assignments"
	FormatRoleDefinitions Format = "az-role-definitions"
	FormatAzureHound      Format = "azurehound"
	// FormatPurviewSearch is a Microsoft Purview Data Map search answer
	// (POST /datamap/api/search/query: {"@search.count", "value": [...]}),
	// or its value array: entities with their classifications.
	FormatPurviewSearch Format = "purview-search"
)

// Options tune Load.
type Options struct {
	// TenantID is used when no file names the tenant.
	TenantID string
	// Subscriptions, when set, limits the import to these subscriptions.
	Subscriptions []string
	// Now stamps the inventory; zero means time.Now.
	Now time.Time
}

// Loaded says what Load read from each file.
type Loaded struct {
	Path    string `json:"path"`
	Format  Format `json:"format"`
	Records int    `json:"records"`
}

// Load reads the files into one inventory and sets its coverage: every
// area a file format covers is read for the subscriptions the files name;
// every other area fails with NotInImport.
func Load(ctx context.Context, paths []string, opts Options) (*inventory.Inventory, []Loaded, error) {
	if len(paths) == 0 {
		return nil, nil, errors.New("azure import: no file given")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	inv := inventory.New(opts.TenantID, now)
	st := &state{inv: inv, areas: map[string]bool{}}
	var loaded []Loaded
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("azure import: %w", err)
		}
		data, err := readCapped(p)
		if err != nil {
			return nil, nil, fmt.Errorf("azure import %s: %w", p, err)
		}
		// encoding/json keeps the last of two equal keys, and matches struct
		// fields ignoring case, so {"actions":["*/read"],"Actions":["*"]}
		// would grant what a reader of the file does not see. Azure's own
		// names (tag names included) ignore case, so keys equal but for case
		// are duplicates too.
		if err := strictjson.Check(data, true); err != nil {
			return nil, nil, fmt.Errorf("azure import %s: %w", p, err)
		}
		f, n, err := st.load(data)
		if err != nil {
			return nil, nil, fmt.Errorf("azure import %s: %w", p, err)
		}
		loaded = append(loaded, Loaded{Path: p, Format: f, Records: n})
	}
	if inv.TenantID == "" {
		inv.TenantID = strings.ToLower(st.tenant)
	}
	if inv.TenantID == "" {
		return nil, nil, errors.New("azure import: no file names the tenant (give --tenant)")
	}
	st.subscriptions(opts.Subscriptions)
	if len(inv.Subscriptions) == 0 && !st.areas[inventory.AreaEntra] {
		return nil, nil, errors.New("azure import: the files name no subscription and hold no directory data")
	}
	st.coverage()
	return inv, loaded, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileBytes)
	}
	return data, nil
}

type state struct {
	inv    *inventory.Inventory
	tenant string
	// areas lists the areas the files cover.
	areas map[string]bool
	// sawMG is set when a file held management groups (the tenant's
	// "resources" area); a resources export alone does not.
	sawMG bool
}

// load sniffs the format of one file and reads its records.
func (s *state) load(data []byte) (Format, int, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", 0, errors.New("empty file")
	}
	var rows []json.RawMessage
	switch data[0] {
	case '[':
		if err := json.Unmarshal(data, &rows); err != nil {
			return "", 0, fmt.Errorf("not a JSON array: %w", err)
		}
	case '{':
		var top struct {
			Meta *struct {
				Type string `json:"type"`
			} `json:"meta"`
			Data  json.RawMessage   `json:"data"`
			Value []json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(data, &top); err != nil {
			return "", 0, fmt.Errorf("not a JSON object: %w", err)
		}
		if top.Meta != nil {
			n, err := s.azureHound(top.Data)
			return FormatAzureHound, n, err
		}
		if len(top.Data) > 0 && top.Data[0] == '[' {
			if err := json.Unmarshal(top.Data, &rows); err != nil {
				return "", 0, fmt.Errorf("data: %w", err)
			}
		} else {
			rows = top.Value
		}
		if rows == nil {
			return "", 0, errors.New("no data or value array: not a Resource Graph, az CLI or AzureHound export")
		}
	default:
		return "", 0, errors.New("not JSON")
	}
	var (
		format Format
		n      int
	)
	for i, raw := range rows {
		f, err := s.record(raw)
		if err != nil {
			return "", 0, fmt.Errorf("record %d: %w", i, err)
		}
		if format == "" || f == FormatResourceGraph {
			format = f
		}
		n++
	}
	if format == "" {
		format = FormatResourceGraph
	}
	return format, n, nil
}

// sniff is the union of the fields that tell the record shapes apart.
type sniff struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	TenantID         string          `json:"tenantId"`
	RoleName         string          `json:"roleName"`
	Permissions      json.RawMessage `json:"permissions"`
	PrincipalID      string          `json:"principalId"`
	RoleDefinitionID string          `json:"roleDefinitionId"`
	Properties       json.RawMessage `json:"properties"`
	QualifiedName    string          `json:"qualifiedName"`
	EntityType       string          `json:"entityType"`
}

func (s *state) record(raw json.RawMessage) (Format, error) {
	var sn sniff
	if err := json.Unmarshal(raw, &sn); err != nil {
		return "", err
	}
	if sn.TenantID != "" && s.tenant == "" {
		s.tenant = sn.TenantID
	}
	switch {
	case sn.QualifiedName != "" && sn.EntityType != "":
		var a inventory.PurviewAsset
		if err := json.Unmarshal(raw, &a); err != nil {
			return "", err
		}
		s.inv.PurviewAssets = append(s.inv.PurviewAssets, a)
		s.areas[inventory.AreaPurview] = true
		return FormatPurviewSearch, nil
	case sn.Properties == nil && sn.RoleName != "" && sn.Permissions != nil:
		d, err := inventory.UnmarshalRoleDefinition(raw)
		if err != nil {
			return "", err
		}
		s.inv.RoleDefinitions = append(s.inv.RoleDefinitions, d)
		s.areas[inventory.AreaAuthorization] = true
		return FormatRoleDefinitions, nil
	case sn.Properties == nil && sn.PrincipalID != "" && sn.RoleDefinitionID != "":
		a, err := inventory.UnmarshalRoleAssignment(raw)
		if err != nil {
			return "", err
		}
		s.inv.RoleAssignments = append(s.inv.RoleAssignments, a)
		s.areas[inventory.AreaAuthorization] = true
		return FormatRoleAssignments, nil
	}
	if sn.ID == "" {
		return "", errors.New("no id: not an ARM resource, role assignment or role definition")
	}
	if err := s.inv.Add(raw); err != nil {
		return "", err
	}
	t := strings.ToLower(sn.Type)
	if t == "" {
		t = inventory.TypeOf(sn.ID)
	}
	if t == inventory.TypeManagementGroup {
		s.sawMG = true
	}
	switch area := inventory.AreaOf(t); area {
	case inventory.AreaAuthorization, inventory.AreaPolicy:
		s.areas[area] = true
	case "":
	default:
		// A Resource Graph export of the resources table covers every
		// resource area of its subscriptions.
		for _, a := range resourceAreas {
			s.areas[a] = true
		}
	}
	return FormatResourceGraph, nil
}

// resourceAreas are the areas a Resource Graph resources export covers.
var resourceAreas = []string{
	inventory.AreaResources, inventory.AreaNetwork, inventory.AreaCompute, inventory.AreaWeb, inventory.AreaStorage,
	inventory.AreaKeyVault, inventory.AreaSQL, inventory.AreaDocumentDB, inventory.AreaAutomation, inventory.AreaLogic, inventory.AreaContainerService,
	inventory.AreaContainerRegistry, inventory.AreaManagedIdentity,
}

// subscriptions makes sure every subscription the records name exists, and
// drops those outside the requested set.
func (s *state) subscriptions(only []string) {
	seen := map[string]bool{}
	for _, sub := range s.inv.Subscriptions {
		seen[sub.ID] = true
	}
	add := func(id string) {
		if sid := inventory.SubscriptionOf(id); sid != "" && !seen[sid] {
			seen[sid] = true
			s.inv.AddSubscription(inventory.Subscription{ID: sid, TenantID: s.inv.TenantID})
		}
	}
	for id := range s.inv.Resources {
		add(id)
	}
	for _, a := range s.inv.RoleAssignments {
		add(a.Scope)
	}
	for _, d := range s.inv.RoleDefinitions {
		for _, sc := range d.AssignableScopes {
			add(sc)
		}
	}
	if len(only) == 0 {
		return
	}
	keep := map[string]bool{}
	for _, o := range only {
		keep[strings.ToLower(o)] = true
	}
	s.inv.Subscriptions = slices.DeleteFunc(s.inv.Subscriptions, func(sub inventory.Subscription) bool { return !keep[sub.ID] })
	for id := range s.inv.Resources {
		if !keep[inventory.SubscriptionOf(id)] {
			delete(s.inv.Resources, id)
		}
	}
}

// coverage marks every covered area read, and every other one failed with
// NotInImport, for each subscription and the tenant.
func (s *state) coverage() {
	for _, sub := range s.inv.Subscriptions {
		for _, a := range inventory.Areas {
			if a == inventory.AreaEntra {
				continue
			}
			if s.areas[a] {
				s.inv.MarkRead(sub.ID, a)
			} else {
				s.inv.MarkFailed(sub.ID, a, errors.New(NotInImport))
			}
		}
	}
	tenantAreas := map[string]bool{inventory.AreaEntra: s.areas[inventory.AreaEntra], inventory.AreaResources: s.sawMG || len(s.inv.ManagementGroups) > 0}
	for _, a := range []string{inventory.AreaEntra, inventory.AreaResources} {
		if tenantAreas[a] {
			s.inv.MarkRead("", a)
		} else {
			s.inv.MarkFailed("", a, errors.New(NotInImport))
		}
	}
	if s.areas[inventory.AreaPurview] {
		s.inv.MarkRead("", inventory.AreaPurview) // optional: never "not in import"
	}
	if s.areas[inventory.AreaAuthorization] {
		s.inv.MarkRead("", inventory.AreaAuthorization)
	} else {
		s.inv.MarkFailed("", inventory.AreaAuthorization, errors.New(NotInImport))
	}
}
