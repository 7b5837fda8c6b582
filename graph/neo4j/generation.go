package neo4j

import (
	"context"
	"fmt"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
)

// The newest sync generation lives on the namespace's BreachpathMeta node
// (gen_id, gen_started, gen_ended, gen_clouds and gen_scopes): only the
// last one is ever asked for.

// BeginGeneration records that a write of these scopes starts.
func (s *Store) BeginGeneration(ctx context.Context, scopes []graph.Scope) (int64, error) {
	clouds, ids := make([]string, len(scopes)), make([]string, len(scopes))
	for i, sc := range scopes {
		clouds[i], ids[i] = string(sc.Cloud), sc.ID
	}
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	out, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, `
			MERGE (m:BreachpathMeta {ns: $ns})
			ON CREATE SET m.stats_totals = $tv
			SET m.gen_id = coalesce(m.gen_id, 0) + 1, m.gen_started = $now, m.gen_ended = null,
			    m.gen_clouds = $clouds, m.gen_scopes = $ids
			RETURN m.gen_id`, map[string]any{"ns": s.ns, "now": s.now().UTC(), "clouds": clouds, "ids": ids, "tv": int64(totalsVersion)})
		if err != nil {
			return nil, err
		}
		id, _ := rec.Values[0].(int64)
		return id, nil
	})
	if err != nil {
		return 0, fmt.Errorf("begin generation: %w", s.storeErr(err))
	}
	return out.(int64), nil
}

// EndGeneration marks the generation complete, unless a later one began.
func (s *Store) EndGeneration(ctx context.Context, id int64) error {
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	_, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (m:BreachpathMeta {ns: $ns}) WHERE m.gen_id = $id SET m.gen_ended = $now`,
			map[string]any{"ns": s.ns, "id": id, "now": s.now().UTC()})
		if err != nil {
			return nil, err
		}
		return res.Consume(ctx)
	})
	if err != nil {
		return fmt.Errorf("end generation %d: %w", id, s.storeErr(err))
	}
	return nil
}

// LastGeneration returns the newest generation, nil when none was recorded.
func (s *Store) LastGeneration(ctx context.Context) (*graph.Generation, error) {
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	var g *graph.Generation
	err := s.readAll(ctx, sess, `MATCH (m:BreachpathMeta {ns: $ns}) WHERE m.gen_id IS NOT NULL RETURN properties(m)`,
		map[string]any{"ns": s.ns}, func(v []any) error {
			m, _ := v[0].(map[string]any)
			var err error
			d := decoder{m: m, err: &err}
			out := graph.Generation{ID: d.int("gen_id"), Started: d.time("gen_started"), Ended: d.time("gen_ended")}
			clouds, ids := d.strs("gen_clouds"), d.strs("gen_scopes")
			if err == nil && len(clouds) != len(ids) {
				err = fmt.Errorf("%w: generation %d names %d clouds and %d scopes", graph.ErrCorrupt, out.ID, len(clouds), len(ids))
			}
			if err != nil {
				return err
			}
			for i := range ids {
				out.Scopes = append(out.Scopes, graph.Scope{Cloud: graph.Cloud(clouds[i]), ID: ids[i]})
			}
			g = &out
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read generation: %w", s.storeErr(err))
	}
	return g, nil
}
