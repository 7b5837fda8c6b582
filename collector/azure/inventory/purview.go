package inventory

// AreaPurview is the Microsoft Purview Data Map classification read. It is
// tenant-wide (coverage key ""), and no node belongs to it: its
// classifications raise the sensitivity of the storage and SQL nodes they
// name.
const AreaPurview = "purview"

// PurviewAsset is one Data Map search result (POST
// {endpoint}/datamap/api/search/query, SearchResultValue): an entity with
// the classifications a Purview scan applied. Only names are kept; the
// Data Map holds no data and none is read.
type PurviewAsset struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	QualifiedName  string   `json:"qualifiedName"`
	EntityType     string   `json:"entityType"`
	Classification []string `json:"classification"`
	// Account is the Purview account endpoint the asset came from.
	Account string `json:"account,omitempty"`
}
