package fetch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	bigquery "google.golang.org/api/bigquery/v2"
	cloudfunctions "google.golang.org/api/cloudfunctions/v2"
	cloudkms "google.golang.org/api/cloudkms/v1"
	container "google.golang.org/api/container/v1"
	run "google.golang.org/api/run/v2"
	secretmanager "google.golang.org/api/secretmanager/v1"
	sqladmin "google.golang.org/api/sqladmin/v1"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// listAll runs a paged listing as one retried call: a retry restarts the
// listing, so a page is never counted twice.
func listAll[T any](ctx context.Context, c *collector, pages func(add func(...T)) error) ([]T, error) {
	var out []T
	err := c.call(ctx, func() error {
		out = out[:0]
		return pages(func(items ...T) { out = append(out, items...) })
	})
	return out, err
}

// attachPolicy reads a resource's IAM policy (any API's getIamPolicy) and
// sets it on the asset.
func (c *collector) attachPolicy(ctx context.Context, a *inventory.Asset, name string, get func() (any, error)) error {
	var pol any
	if err := c.call(ctx, func() (err error) {
		pol, err = get()
		return err
	}); err != nil {
		return fmt.Errorf("IAM policy of %s: %w", name, err)
	}
	var err error
	a.IAMPolicy, err = toPolicy(pol)
	return err
}

// readBigQuery lists each project's datasets and gets each one: only
// datasets.get carries the access list (the dataset's IAM).
func readBigQuery(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := bigquery.NewService(ctx, c.clientOptions(APIBigQuery)...)
	if err != nil {
		return nil, fmt.Errorf("bigquery client: %w", err)
	}
	var out []*inventory.Asset
	for _, p := range projects {
		list, err := listAll(ctx, c, func(add func(...*bigquery.DatasetListDatasets)) error {
			return svc.Datasets.List(p.ID).All(true).Context(ctx).Pages(ctx, func(r *bigquery.DatasetList) error { add(r.Datasets...); return nil })
		})
		if err != nil {
			return nil, fmt.Errorf("datasets of %s: %w", p.ID, err)
		}
		for _, l := range list {
			if l.DatasetReference == nil {
				continue
			}
			id := l.DatasetReference.DatasetId
			var d *bigquery.Dataset
			if err := c.call(ctx, func() (err error) {
				d, err = svc.Datasets.Get(p.ID, id).Context(ctx).Do()
				return err
			}); err != nil {
				return nil, fmt.Errorf("dataset %s.%s: %w", p.ID, id, err)
			}
			a, err := newAsset("//bigquery.googleapis.com/projects/"+p.ID+"/datasets/"+id, inventory.TypeDataset, p, strings.ToLower(d.Location), d)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// readSecrets lists each project's secrets (metadata only: no version is
// ever accessed) and reads each secret's IAM policy.
func readSecrets(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := secretmanager.NewService(ctx, c.clientOptions(APISecretManager)...)
	if err != nil {
		return nil, fmt.Errorf("secret manager client: %w", err)
	}
	var out []*inventory.Asset
	for _, p := range projects {
		secrets, err := listAll(ctx, c, func(add func(...*secretmanager.Secret)) error {
			return svc.Projects.Secrets.List("projects/"+p.ID).Context(ctx).Pages(ctx, func(r *secretmanager.ListSecretsResponse) error { add(r.Secrets...); return nil })
		})
		if err != nil {
			return nil, fmt.Errorf("secrets of %s: %w", p.ID, err)
		}
		for _, s := range secrets {
			a, err := newAsset("//secretmanager.googleapis.com/"+s.Name, inventory.TypeSecret, p, "global", s)
			if err == nil {
				err = c.attachPolicy(ctx, a, s.Name, func() (any, error) {
					return svc.Projects.Secrets.GetIamPolicy(s.Name).OptionsRequestedPolicyVersion(3).Context(ctx).Do()
				})
			}
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// readSQL lists each project's Cloud SQL instances (authorized networks,
// public IP).
func readSQL(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := sqladmin.NewService(ctx, c.clientOptions(APISQL)...)
	if err != nil {
		return nil, fmt.Errorf("cloud sql admin client: %w", err)
	}
	var out []*inventory.Asset
	for _, p := range projects {
		items, err := listAll(ctx, c, func(add func(...*sqladmin.DatabaseInstance)) error {
			return svc.Instances.List(p.ID).Context(ctx).Pages(ctx, func(r *sqladmin.InstancesListResponse) error { add(r.Items...); return nil })
		})
		if err != nil {
			return nil, fmt.Errorf("cloud sql instances of %s: %w", p.ID, err)
		}
		for _, i := range items {
			a, err := newAsset("//cloudsql.googleapis.com/projects/"+p.ID+"/instances/"+i.Name, inventory.TypeSQLInstance, p, i.Region, i)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// readFunctions lists each project's functions of both generations with
// the Cloud Functions v2 API (every location at once) and reads each
// function's IAM policy (invoker allUsers).
func readFunctions(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := cloudfunctions.NewService(ctx, c.clientOptions(APIFunctions)...)
	if err != nil {
		return nil, fmt.Errorf("cloud functions client: %w", err)
	}
	var out []*inventory.Asset
	for _, p := range projects {
		fns, err := listAll(ctx, c, func(add func(...*cloudfunctions.Function)) error {
			return svc.Projects.Locations.Functions.List("projects/"+p.ID+"/locations/-").Context(ctx).Pages(ctx,
				func(r *cloudfunctions.ListFunctionsResponse) error {
					if len(r.Unreachable) > 0 {
						// A partial list would make the store delete what was not listed.
						return fmt.Errorf("locations unreachable: %s", strings.Join(r.Unreachable, ", "))
					}
					add(r.Functions...)
					return nil
				})
		})
		if err != nil {
			return nil, fmt.Errorf("functions of %s: %w", p.ID, err)
		}
		for _, f := range fns {
			typ := inventory.TypeFunctionV2
			if f.Environment == "GEN_1" {
				typ = inventory.TypeFunctionV1
			}
			a, err := newAsset("//cloudfunctions.googleapis.com/"+f.Name, typ, p, locationOf(f.Name), f)
			if err == nil {
				err = c.attachPolicy(ctx, a, f.Name, func() (any, error) {
					return svc.Projects.Locations.Functions.GetIamPolicy(f.Name).OptionsRequestedPolicyVersion(3).Context(ctx).Do()
				})
			}
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// locationOf returns the location segment of a projects/p/locations/l/... name.
func locationOf(name string) string {
	parts := strings.Split(name, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "locations" || parts[i] == "zones" || parts[i] == "regions" {
			return parts[i+1]
		}
	}
	return ""
}

// runLocations returns the regions to list Cloud Run services in: the
// Run v2 list takes no location wildcard, so the regions where the asset
// inventory saw a Cloud Run service or a 2nd gen function (which runs on
// Cloud Run) are listed.
func (c *collector) runLocations(p projectRef) []string {
	var out []string
	for _, a := range c.inv.Assets {
		if a.AssetType != inventory.TypeRunService && a.AssetType != inventory.TypeFunctionV2 {
			continue
		}
		if !strings.Contains(a.Name, "/projects/"+p.ID+"/") && !strings.Contains(a.Name, "/projects/"+p.Number+"/") {
			continue
		}
		if l := locationOf(strings.TrimPrefix(a.Name, "//")); l != "" && l != "-" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// readRun lists Cloud Run services (v2) in the known regions and reads each
// service's IAM policy (run.invoker allUsers).
func readRun(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := run.NewService(ctx, c.clientOptions(APIRun)...)
	if err != nil {
		return nil, fmt.Errorf("cloud run client: %w", err)
	}
	var out []*inventory.Asset
	for _, p := range projects {
		for _, loc := range c.runLocations(p) {
			parent := "projects/" + p.ID + "/locations/" + loc
			items, err := listAll(ctx, c, func(add func(...*run.GoogleCloudRunV2Service)) error {
				return svc.Projects.Locations.Services.List(parent).Context(ctx).Pages(ctx,
					func(r *run.GoogleCloudRunV2ListServicesResponse) error { add(r.Services...); return nil })
			})
			if err != nil {
				return nil, fmt.Errorf("cloud run services of %s: %w", parent, err)
			}
			for _, s := range items {
				a, err := newAsset("//run.googleapis.com/"+s.Name, inventory.TypeRunService, p, loc, s)
				if err == nil {
					err = c.attachPolicy(ctx, a, s.Name, func() (any, error) {
						return svc.Projects.Locations.Services.GetIamPolicy(s.Name).OptionsRequestedPolicyVersion(3).Context(ctx).Do()
					})
				}
				if err != nil {
					return nil, err
				}
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// readGKE lists each project's GKE clusters in every location (workload
// identity, node service accounts and scopes, endpoint exposure).
func readGKE(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := container.NewService(ctx, c.clientOptions(APIContainer)...)
	if err != nil {
		return nil, fmt.Errorf("gke client: %w", err)
	}
	var out []*inventory.Asset
	for _, p := range projects {
		var r *container.ListClustersResponse
		if err := c.call(ctx, func() (err error) {
			r, err = svc.Projects.Locations.Clusters.List("projects/" + p.ID + "/locations/-").Context(ctx).Do()
			return err
		}); err != nil {
			return nil, fmt.Errorf("clusters of %s: %w", p.ID, err)
		}
		if len(r.MissingZones) > 0 {
			return nil, fmt.Errorf("clusters of %s: zones unreachable: %s", p.ID, strings.Join(r.MissingZones, ", "))
		}
		for _, cl := range r.Clusters {
			a, err := newAsset("//container.googleapis.com/projects/"+p.ID+"/locations/"+cl.Location+"/clusters/"+cl.Name,
				inventory.TypeCluster, p, cl.Location, cl)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// readKMS lists the keys of every key ring the asset inventory saw (KMS
// lists key rings per location only) and reads each key's IAM policy.
func readKMS(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := cloudkms.NewService(ctx, c.clientOptions(APIKMS)...)
	if err != nil {
		return nil, fmt.Errorf("cloud kms client: %w", err)
	}
	byID := map[string]projectRef{}
	for _, p := range projects {
		byID[p.ID], byID[p.Number] = p, p
	}
	var rings []string
	for _, a := range c.inv.ByType(inventory.TypeKeyRing) {
		rings = append(rings, a.Name)
	}
	slices.Sort(rings)
	var out []*inventory.Asset
	for _, full := range rings {
		ring := strings.TrimPrefix(full, "//cloudkms.googleapis.com/")
		p, ok := byID[strings.Split(ring+"/", "/")[1]]
		if !ok {
			continue
		}
		keys, err := listAll(ctx, c, func(add func(...*cloudkms.CryptoKey)) error {
			return svc.Projects.Locations.KeyRings.CryptoKeys.List(ring).Context(ctx).Pages(ctx,
				func(r *cloudkms.ListCryptoKeysResponse) error { add(r.CryptoKeys...); return nil })
		})
		if err != nil {
			return nil, fmt.Errorf("keys of %s: %w", ring, err)
		}
		for _, k := range keys {
			a, err := newAsset("//cloudkms.googleapis.com/"+k.Name, inventory.TypeCryptoKey, p, locationOf(k.Name), k)
			if err == nil {
				a.Resource.Parent = full
				err = c.attachPolicy(ctx, a, k.Name, func() (any, error) {
					return svc.Projects.Locations.KeyRings.CryptoKeys.GetIamPolicy(k.Name).OptionsRequestedPolicyVersion(3).Context(ctx).Do()
				})
			}
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}
