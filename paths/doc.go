// Package paths finds attack paths: chains of attacker moves from an
// exposure source (the Internet, anonymous or external principals) to a
// sensitive target, over a compact in-memory projection of the move edges of
// a graph.Graph.
//
// The projection is a CSR (compressed sparse row) array set with int32 node
// ids, so that a search touches flat slices rather than maps of structs. The
// search is a best-first label-setting search over path likelihoods (the
// product of the hop likelihoods) that keeps at most Top paths per target and
// stops after a work budget; see Search for its exact guarantees.
//
// Nothing here looks at a node's cloud to decide what to do: per-cloud
// knowledge has been turned into move edges by the collectors already.
package paths
