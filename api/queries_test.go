package api

import (
	"net/url"
	"testing"

	"github.com/breachpath/breachpath/queries"
)

func TestSavedQueries(t *testing.T) {
	_, c := newServer(t, Config{Store: estateStore(t)})
	var list QueryList
	c.get("/api/v1/queries").decode(t, &list)
	if len(list.Items) != len(queries.All()) || len(list.Items) == 0 {
		t.Fatalf("%d queries listed, the registry has %d", len(list.Items), len(queries.All()))
	}
	var res struct {
		Query   string   `json:"query"`
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
	}
	c.get("/api/v1/queries/public-sensitive-data").decode(t, &res)
	if res.Query != "public-sensitive-data" || len(res.Rows) == 0 || len(res.Rows[0]) != len(res.Columns) {
		t.Fatalf("public-sensitive-data on the estate: %+v", res)
	}
	c.get("/api/v1/queries/crown-jewels-most-inbound?limit=2").decode(t, &res)
	if len(res.Rows) > 2 {
		t.Fatalf("limit=2 gave %d rows", len(res.Rows))
	}
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"unknown query", "/api/v1/queries/nope", 404, codeNotFound},
		{"param out of range", "/api/v1/queries/crown-jewels-most-inbound?limit=0", 400, codeBadParameter},
		{"param not a number", "/api/v1/queries/crown-jewels-most-inbound?limit=ten", 400, codeBadParameter},
		{"missing required param", "/api/v1/queries/sensitive-reachable-from", 400, codeBadParameter},
		{"repeated param", "/api/v1/queries/crown-jewels-most-inbound?limit=1&limit=2", 400, codeBadParameter},
		{"bad severity", "/api/v1/queries/findings-off-path?min_severity=" + url.QueryEscape("urgent"), 400, codeBadParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.get(tt.path)
			if a.status != tt.status || a.errorCode(t) != tt.code {
				t.Fatalf("%d %s, want %d %s", a.status, a.body, tt.status, tt.code)
			}
		})
	}
}
