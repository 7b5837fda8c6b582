package inventory

import "strings"

// DataProfile is a Sensitive Data Protection (Cloud DLP) discovery data
// profile: a TableDataProfile (a BigQuery table), a FileStoreDataProfile
// (a Cloud Storage bucket) or a ProjectDataProfile, in the REST shape of
// projects.locations.{tableDataProfiles,fileStoreDataProfiles,
// projectDataProfiles}.list. Only the scores and the names of the detected
// infoTypes are kept; a profile never carries the data itself, and the
// sample findings table it may point at is not read.
type DataProfile struct {
	Name string `json:"name"`
	// FullResource is the profiled resource:
	// //bigquery.googleapis.com/projects/P/datasets/D/tables/T or
	// //storage.googleapis.com/BUCKET.
	FullResource     string `json:"fullResource"`
	ProjectID        string `json:"projectId"`
	DatasetProjectID string `json:"datasetProjectId"`
	DatasetID        string `json:"datasetId"`
	TableID          string `json:"tableId"`
	FileStorePath    string `json:"fileStorePath"` // gs://BUCKET
	SensitivityScore struct {
		Score string `json:"score"` // SENSITIVITY_LOW, _MODERATE, _HIGH, _UNKNOWN
	} `json:"sensitivityScore"`
	DataRiskLevel struct {
		Score string `json:"score"` // RISK_LOW, _MODERATE, _HIGH, _UNKNOWN
	} `json:"dataRiskLevel"`
	PredictedInfoTypes []struct {
		InfoType struct {
			Name string `json:"name"`
		} `json:"infoType"`
	} `json:"predictedInfoTypes"`
	FileStoreInfoTypeSummaries []struct {
		InfoType struct {
			Name string `json:"name"`
		} `json:"infoType"`
	} `json:"fileStoreInfoTypeSummaries"`
	ProfileLastGenerated string `json:"profileLastGenerated"`
}

// Profile kinds, by the collection segment of their names.
const (
	ProfileTable     = "tableDataProfiles"
	ProfileFileStore = "fileStoreDataProfiles"
	ProfileProject   = "projectDataProfiles"
)

// ProfileKind returns the profile's kind from its name (""
// when the name is not a data profile's).
func ProfileKind(name string) string {
	for _, k := range []string{ProfileTable, ProfileFileStore, ProfileProject} {
		if strings.Contains(name, "/"+k+"/") {
			return k
		}
	}
	return ""
}

// InfoTypes returns the names of the infoTypes the profile detected.
func (p *DataProfile) InfoTypes() []string {
	var out []string
	for _, t := range p.PredictedInfoTypes {
		out = append(out, t.InfoType.Name)
	}
	for _, t := range p.FileStoreInfoTypeSummaries {
		out = append(out, t.InfoType.Name)
	}
	return out
}

// AddDataProfile records a data profile; a profile of the same name read
// twice (an organisation and a project listing both show it) is kept once.
func (inv *Inventory) AddDataProfile(p DataProfile) {
	if inv.profileNames == nil {
		inv.profileNames = map[string]bool{}
	}
	if inv.profileNames[p.Name] {
		return
	}
	inv.profileNames[p.Name] = true
	inv.DataProfiles = append(inv.DataProfiles, p)
}
