package api

import (
	"context"
	"net/url"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// noIndexStore has no cross-scope index of any scope (as a store last
// written by an older breachpath): the neighbourhood cannot be scoped.
type noIndexStore struct{ graph.Store }

func (s noIndexStore) Links(ctx context.Context, f graph.Filter) (map[graph.Scope]graph.ScopeIndex, error) {
	ix, err := s.Store.Links(ctx, f)
	for sc, x := range ix {
		x.Links = nil
		ix[sc] = x
	}
	return ix, err
}

func TestNeighbourhoodAndDegreeFromTheScopesNearAreThoseOfEveryEdge(t *testing.T) {
	st := estateStore(t)
	want := fullLoadServer(t, Config{Store: st})
	gated := newFactGatedStore(st)
	_, got := newServer(t, Config{Store: gated, Rate: 1e6, Burst: 1e6})
	// and a store without an index, whose neighbourhood needs the fact stage
	_, fallback := newServer(t, Config{Store: noIndexStore{st}, Rate: 1e6, Burst: 1e6})

	var paths []string
	for _, id := range nodesToCompare(t, got, 40, 30, "vm", "role", "subnet", "group") {
		paths = append(paths, "/api/v1/nodes?id="+url.QueryEscape(id), "/api/v1/nodes/"+url.PathEscape(id))
		for _, depth := range []string{"1", "2", "3"} {
			for _, limit := range []string{"300", "7"} { // 7: the limit stops the walk
				paths = append(paths, "/api/v1/nodes/neighbourhood?limit="+limit+"&depth="+depth+"&id="+url.QueryEscape(id))
			}
		}
	}
	paths = append(paths, "/api/v1/nodes?id=no-such-node", "/api/v1/nodes/neighbourhood?id=no-such-node")
	for _, path := range paths {
		a, b, f := want.get(path), got.get(path), fallback.get(path)
		for name, x := range map[string]answer{"scopes near the node": b, "fact stage": f} {
			if x.status != a.status || string(x.body) != string(a.body) {
				i := 0
				for i < min(len(a.body), len(x.body)) && a.body[i] == x.body[i] {
					i++
				}
				from := max(0, i-100)
				t.Fatalf("%s: from %s: %d, differs at byte %d:\n...%.300s\nevery edge: %d\n...%.300s", path, name, x.status, i, x.body[from:], a.status, a.body[from:])
			}
		}
	}
	if len(gated.entered) != 0 {
		t.Fatal("a neighbourhood or node detail loaded every scope's fact edges")
	}
}

func TestNeighbourhoodBeyondTheScopeCutOffReadsTheFactStage(t *testing.T) {
	st := estateStore(t)
	want := fullLoadServer(t, Config{Store: st})
	// one scope at most: any answer reaching a second scope's facts
	// falls back to the fact stage
	srv, got := newServer(t, Config{Store: st, NearMaxScopes: 1, Rate: 1e6, Burst: 1e6})
	for _, id := range nodesToCompare(t, got, 10, 10, "role") {
		path := "/api/v1/nodes/neighbourhood?limit=300&depth=3&id=" + url.QueryEscape(id)
		a, b := want.get(path), got.get(path)
		if a.status != 200 || b.status != 200 || string(a.body) != string(b.body) {
			t.Fatalf("%s: %d from every edge, %d past the cut-off, or the bodies differ", path, a.status, b.status)
		}
	}
	if s := srv.cache.ready().stages(); s.FactEdges != stageReady {
		t.Fatalf("no answer went past a one-scope cut-off to the fact stage: %+v", s)
	}
}
