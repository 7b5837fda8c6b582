package inventory

// Perimeter is a VPC Service Controls service perimeter (Access Context
// Manager v1 servicePerimeters, the enforced "status" configuration; a
// dry-run "spec" is not enforced and not read).
type Perimeter struct {
	Name          string `json:"name"` // accessPolicies/<p>/servicePerimeters/<n>
	Title         string `json:"title"`
	PerimeterType string `json:"perimeterType"` // PERIMETER_TYPE_REGULAR, PERIMETER_TYPE_BRIDGE
	Status        *struct {
		// Resources are "projects/<number>" (and VPC networks).
		Resources          []string `json:"resources"`
		RestrictedServices []string `json:"restrictedServices"`
		AccessLevels       []string `json:"accessLevels"`
		IngressPolicies    []any    `json:"ingressPolicies"`
	} `json:"status"`
}

// Restricts reports whether a regular perimeter restricts the service
// (an API name such as storage.googleapis.com) for the project number.
func (p *Perimeter) Restricts(projectNumber, service string) bool {
	if p.Status == nil || p.PerimeterType == "PERIMETER_TYPE_BRIDGE" || projectNumber == "" {
		return false
	}
	in := false
	for _, r := range p.Status.Resources {
		if r == "projects/"+projectNumber {
			in = true
		}
	}
	if !in {
		return false
	}
	for _, s := range p.Status.RestrictedServices {
		if s == service || s == "*" || s == "RESTRICTED-SERVICES" {
			return true
		}
	}
	return false
}

// Contains reports whether the project number is a resource of the perimeter.
func (p *Perimeter) Contains(projectNumber string) bool {
	if p.Status == nil || projectNumber == "" {
		return false
	}
	for _, r := range p.Status.Resources {
		if r == "projects/"+projectNumber {
			return true
		}
	}
	return false
}
