// Package api serves breachpath's REST API (JSON under /api/v1) and the
// embedded attack-path explorer with gin.
//
// The analysis behind every endpoint (load the graph, search attack paths,
// score them, and — on first use — the remediation plan) is computed once per
// store generation and cached: see [Server] for when it is recomputed.
// docs/api.md documents the endpoints, authentication and limits; the
// OpenAPI 3 document (openapi.yaml) is served at /api/v1/openapi.json and the
// tests validate real responses against it.
package api
