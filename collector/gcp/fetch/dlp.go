package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	dlp "google.golang.org/api/dlp/v2"
	"google.golang.org/api/googleapi"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// AreaDLP is the Sensitive Data Protection discovery data profile listing.
// No node belongs to it: its profiles raise the sensitivity of the buckets
// and datasets they profile. When it fails the failure is recorded and the
// data stores keep only their other sources' levels for this run.
const AreaDLP = "dlp"

// APIDLP is its endpoint override name.
const APIDLP = "dlp"

// DefaultDLPLocations are the locations whose data profiles are listed when
// Options.DLPLocations is empty: discovery keeps profiles in the location of
// its scan configuration and the API does not combine regions, so each
// location is listed on its own. A location without profiles answers an
// empty list (or NOT_FOUND, read as empty).
var DefaultDLPLocations = []string{"global", "us", "europe", "asia"}

// dlpProfiles lists the discovery data profiles (table, file store and
// project profiles) of the organisation (when the scope is one: an
// organisation-level scan keeps its profiles there) and of every project,
// in every configured location. Only profiles are read, never data or
// sample findings: roles/dlp.dataProfilesReader is enough.
//
// A project where the DLP API is not enabled has no profiles: that is not
// a failure. Any other error fails the area.
func (c *collector) dlpProfiles(ctx context.Context) {
	svc, err := dlp.NewService(ctx, c.clientOptions(APIDLP)...)
	if err != nil {
		c.dlpFailed(fmt.Errorf("dlp client: %w", err))
		return
	}
	var parents []string
	if strings.HasPrefix(c.opts.Parent, "organizations/") {
		parents = append(parents, c.opts.Parent)
	}
	for _, p := range c.projects() {
		parents = append(parents, "projects/"+p.ID)
	}
	locations := c.opts.DLPLocations
	if len(locations) == 0 {
		locations = DefaultDLPLocations
	}
	var got []inventory.DataProfile
	notEnabled := 0
	for _, parent := range parents {
		read, err := c.dlpParent(ctx, svc, parent, locations)
		switch {
		case err == nil:
			got = append(got, read...)
		case ctx.Err() != nil:
			return
		case apiNotEnabled(err):
			notEnabled++
			c.opts.Logger.Info("gcp dlp API not enabled: no data profiles", "parent", parent)
		default:
			c.dlpFailed(fmt.Errorf("data profiles of %s: %w", parent, err))
			return
		}
	}
	for _, p := range got {
		c.inv.AddDataProfile(p)
	}
	c.inv.Coverage.Read = append(c.inv.Coverage.Read, graph.Area{Service: AreaDLP})
}

// dlpParent lists one parent's three profile kinds in every location.
func (c *collector) dlpParent(ctx context.Context, svc *dlp.Service, parent string, locations []string) ([]inventory.DataProfile, error) {
	var out []inventory.DataProfile
	add := func(items ...any) error {
		for _, it := range items {
			var p inventory.DataProfile
			if err := recode(it, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	}
	for _, loc := range locations {
		lp := parent + "/locations/" + loc
		org := strings.HasPrefix(parent, "organizations/")
		calls := []func() error{
			func() error {
				if org {
					return svc.Organizations.Locations.TableDataProfiles.List(lp).Context(ctx).Pages(ctx,
						func(r *dlp.GooglePrivacyDlpV2ListTableDataProfilesResponse) error {
							return add(anys(r.TableDataProfiles)...)
						})
				}
				return svc.Projects.Locations.TableDataProfiles.List(lp).Context(ctx).Pages(ctx,
					func(r *dlp.GooglePrivacyDlpV2ListTableDataProfilesResponse) error {
						return add(anys(r.TableDataProfiles)...)
					})
			},
			func() error {
				if org {
					return svc.Organizations.Locations.FileStoreDataProfiles.List(lp).Context(ctx).Pages(ctx,
						func(r *dlp.GooglePrivacyDlpV2ListFileStoreDataProfilesResponse) error {
							return add(anys(r.FileStoreDataProfiles)...)
						})
				}
				return svc.Projects.Locations.FileStoreDataProfiles.List(lp).Context(ctx).Pages(ctx,
					func(r *dlp.GooglePrivacyDlpV2ListFileStoreDataProfilesResponse) error {
						return add(anys(r.FileStoreDataProfiles)...)
					})
			},
			func() error {
				if org {
					return svc.Organizations.Locations.ProjectDataProfiles.List(lp).Context(ctx).Pages(ctx,
						func(r *dlp.GooglePrivacyDlpV2ListProjectDataProfilesResponse) error {
							return add(anys(r.ProjectDataProfiles)...)
						})
				}
				return svc.Projects.Locations.ProjectDataProfiles.List(lp).Context(ctx).Pages(ctx,
					func(r *dlp.GooglePrivacyDlpV2ListProjectDataProfilesResponse) error {
						return add(anys(r.ProjectDataProfiles)...)
					})
			},
		}
		for _, call := range calls {
			mark := len(out)
			err := c.call(ctx, func() error {
				out = out[:mark] // a retried listing starts over
				return call()
			})
			if isNotFound(err) {
				continue // no profiles kept in this location
			}
			if err != nil {
				return nil, fmt.Errorf("location %s: %w", loc, err)
			}
		}
	}
	return out, nil
}

func anys[T any](in []*T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// apiNotEnabled reports the documented answer of a disabled API: 403 with
// reason SERVICE_DISABLED (ErrorInfo) or accessNotConfigured (legacy).
func apiNotEnabled(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusForbidden {
		return false
	}
	for _, d := range ge.Details {
		if m, ok := d.(map[string]any); ok && m["reason"] == "SERVICE_DISABLED" {
			return true
		}
	}
	for _, e := range ge.Errors {
		if e.Reason == "accessNotConfigured" {
			return true
		}
	}
	return strings.Contains(ge.Message, "has not been used in project") || strings.Contains(ge.Message, "is disabled")
}

func (c *collector) dlpFailed(err error) {
	c.opts.Logger.Warn("gcp area failed", "area", AreaDLP, "error", err)
	c.inv.DataProfiles = nil
	c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: AreaDLP},
		Error: AreaDLP + " (Sensitive Data Protection API): " + err.Error() + "; data profiles unknown"})
}
