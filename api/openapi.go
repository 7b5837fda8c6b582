package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// openAPIYAML is the API's OpenAPI 3 document; the tests validate real
// responses against it.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPI returns the parsed and validated OpenAPI document.
func OpenAPI() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("api: parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(openapi3.NewLoader().Context); err != nil {
		return nil, fmt.Errorf("api: invalid openapi.yaml: %w", err)
	}
	return doc, nil
}

// openAPIJSON renders the document as JSON, served at /api/v1/openapi.json.
func openAPIJSON() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("api: encode openapi document: %w", err)
	}
	return b, nil
}
