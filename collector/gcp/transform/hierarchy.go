package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// Full-name prefixes of the resource hierarchy.
const (
	crmPrefix     = "//cloudresourcemanager.googleapis.com/"
	projectPrefix = crmPrefix + "projects/"
)

// project is one project of the inventory.
type project struct {
	Number string // "123456789012"
	ID     string // "gcp-goat-1a2b"; the number when the project asset was not read
	Name   string // full name "//cloudresourcemanager.googleapis.com/projects/<number>"
	// Ancestors are the full names of its folders and organisation, nearest first.
	Ancestors []string
	Labels    map[string]string
	Asset     *inventory.Asset
}

// hierarchy indexes projects, folders and organisations.
type hierarchy struct {
	byNumber map[string]*project
	byID     map[string]*project
	// parents maps a folder or organisation full name to its ancestors' full names.
	parents map[string][]string
	// root is the full name of the topmost folder or organisation read, or "".
	root string
}

func fullAncestor(short string) string {
	if strings.HasPrefix(short, "//") {
		return short
	}
	return crmPrefix + short
}

func newHierarchy(inv *inventory.Inventory) *hierarchy {
	h := &hierarchy{byNumber: map[string]*project{}, byID: map[string]*project{}, parents: map[string][]string{}}
	ensure := func(number string) *project {
		if p, ok := h.byNumber[number]; ok {
			return p
		}
		p := &project{Number: number, ID: number, Name: projectPrefix + number}
		h.byNumber[number] = p
		return p
	}
	for _, a := range inv.Assets {
		// Every asset's ancestors name its project and the hierarchy above it.
		for i, anc := range a.Ancestors {
			full := fullAncestor(anc)
			rest := make([]string, 0, len(a.Ancestors)-i-1)
			for _, up := range a.Ancestors[i+1:] {
				rest = append(rest, fullAncestor(up))
			}
			if n, ok := strings.CutPrefix(anc, "projects/"); ok {
				p := ensure(n)
				if len(p.Ancestors) < len(rest) {
					p.Ancestors = rest
				}
				continue
			}
			if len(h.parents[full]) < len(rest) || h.parents[full] == nil {
				h.parents[full] = rest
			}
		}
		if a.AssetType != inventory.TypeProject {
			continue
		}
		var d inventory.Project
		if err := a.Decode(&d); err != nil {
			continue
		}
		number := d.ProjectNumber
		if number == "" {
			number = strings.TrimPrefix(d.Name, "projects/")
		}
		if number == "" {
			number = strings.TrimPrefix(a.Name, projectPrefix)
		}
		p := ensure(number)
		if d.ProjectID != "" {
			p.ID = d.ProjectID
		}
		p.Labels, p.Asset = d.Labels, a
	}
	for _, p := range h.byNumber {
		h.byID[p.ID] = p
	}
	// The root is the topmost organisation or folder whose asset was
	// read: the scope a collection of it owns. A project collection reads
	// neither, and owns no root.
	depth := 0
	for _, a := range inv.Assets {
		if (a.AssetType != inventory.TypeOrganization && a.AssetType != inventory.TypeFolder) || !a.HasData() {
			continue
		}
		d := len(a.Ancestors)
		if d == 0 {
			d = 1 + len(h.parents[a.Name])
		}
		if h.root == "" || d < depth || (d == depth && a.Name < h.root) {
			h.root, depth = a.Name, d
		}
	}
	return h
}

// projectOf returns the project an asset lives in, or nil for the
// organisation, folders and organisation-level resources.
func (h *hierarchy) projectOf(a *inventory.Asset) *project {
	for _, anc := range a.Ancestors {
		if n, ok := strings.CutPrefix(anc, "projects/"); ok {
			return h.byNumber[n]
		}
	}
	// Without ancestors (a search-all-iam-policies record), the name says it.
	_, rest, ok := strings.Cut(strings.TrimPrefix(a.Name, "//"), "/projects/")
	if !ok {
		return nil
	}
	key, _, _ := strings.Cut(rest, "/")
	if p, ok := h.byNumber[key]; ok {
		return p
	}
	return h.byID[key]
}

// canonical rewrites a project name that uses the project id to the
// number-based name Cloud Asset Inventory uses for projects.
func (h *hierarchy) canonical(name string) string {
	if rest, ok := strings.CutPrefix(name, projectPrefix); ok && !strings.Contains(rest, "/") {
		if p, ok := h.byID[rest]; ok {
			return p.Name
		}
	}
	return name
}

// chain returns the resource and every ancestor whose IAM policy it
// inherits, nearest first.
func (h *hierarchy) chain(a *inventory.Asset) []string {
	out := []string{a.Name}
	if a.Resource != nil && a.Resource.Parent != "" {
		par := h.canonical(a.Resource.Parent)
		if par != a.Name && !strings.HasPrefix(par, crmPrefix) {
			out = append(out, par) // key ring of a key, dataset of a table
		}
	}
	if len(a.Ancestors) > 0 {
		for _, anc := range a.Ancestors {
			full := fullAncestor(anc)
			if full != a.Name {
				out = append(out, full)
			}
		}
		return out
	}
	if p := h.projectOf(a); p != nil {
		if p.Name != a.Name {
			out = append(out, p.Name)
		}
		return append(out, p.Ancestors...)
	}
	return append(out, h.parents[a.Name]...)
}

// projectChain returns a project and its ancestors.
func (h *hierarchy) projectChain(p *project) []string {
	return append([]string{p.Name}, p.Ancestors...)
}
