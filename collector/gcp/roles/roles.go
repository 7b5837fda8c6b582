// Package roles holds the permissions of Google Cloud's predefined IAM
// roles, embedded (data/predefined-roles.json.gz, source in data/SOURCE.md,
// refreshed by scripts/refresh-gcp-roles.sh), and resolves custom roles
// read from an organisation.
package roles

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

//go:embed data/predefined-roles.json.gz
var predefinedGz []byte

// Role is a predefined or custom role.
type Role struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Stage       string   `json:"stage"`
	Permissions []string `json:"includedPermissions"`
}

// Basic roles: the legacy primitive roles CIS asks to avoid.
const (
	Owner  = "roles/owner"
	Editor = "roles/editor"
	Viewer = "roles/viewer"
)

// IsBasic reports whether the role is one of the basic (primitive) roles.
func IsBasic(name string) bool { return name == Owner || name == Editor || name == Viewer }

var (
	loadOnce   sync.Once
	predefined map[string]*Role
	loadErr    error
)

// Predefined returns the embedded predefined roles by name ("roles/x").
// The map is shared: callers must not modify it.
func Predefined() (map[string]*Role, error) {
	loadOnce.Do(func() { predefined, loadErr = decode(predefinedGz) })
	return predefined, loadErr
}

func decode(gz []byte) (map[string]*Role, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("predefined roles: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("predefined roles: %w", err)
	}
	var doc struct {
		Roles []*Role `json:"roles"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("predefined roles: %w", err)
	}
	out := make(map[string]*Role, len(doc.Roles))
	for _, r := range doc.Roles {
		out[r.Name] = r
	}
	return out, nil
}

// Catalog resolves role names to permissions: the predefined roles plus
// the custom roles of the collected organisation and projects.
type Catalog struct {
	predefined map[string]*Role
	custom     map[string]*Role
}

// NewCatalog returns a catalog over the embedded predefined roles.
func NewCatalog() (*Catalog, error) {
	p, err := Predefined()
	if err != nil {
		return nil, err
	}
	return &Catalog{predefined: p, custom: map[string]*Role{}}, nil
}

// AddCustom adds a custom role ("projects/p/roles/x", "organizations/o/roles/x").
func (c *Catalog) AddCustom(r *Role) { c.custom[r.Name] = r }

// Lookup returns a role by name and whether it is known.
func (c *Catalog) Lookup(name string) (*Role, bool) {
	if r, ok := c.custom[name]; ok {
		return r, true
	}
	r, ok := c.predefined[name]
	return r, ok
}
