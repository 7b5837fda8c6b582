package neo4j

// The statements that find rows by element id. Neo4j's planner prefers an
// index seek over an element-id seek whenever the seeked variable has a
// label and an indexed property is compared for equality (`MATCH
// (n:Resource) WHERE elementId(n) = $id AND n.scope = $sk` scans the whole
// scope through the scope index, once per row). So the seeked variable
// carries no label: the scope check is enough for relationships and
// endpoints, and `'Resource' IN labels(n)` (an expression, not a label
// predicate) tells nodes and findings apart. TestElementIDStatementsSeek
// checks every plan against the real server.

// stmtReadOut reads the current outgoing relationships of nodes, by element id.
const stmtReadOut = `UNWIND $rows AS eid
	MATCH (a)-[r]->(b:Resource) WHERE elementId(a) = eid AND a.scope = $sk AND r.sync_to IS NULL
	RETURN a.id, type(r), b.id, properties(r), elementId(r)`

// stmtReadIn reads the current incoming relationships of nodes, by element id.
const stmtReadIn = `UNWIND $rows AS eid
	MATCH (a:Resource)-[r]->(b) WHERE elementId(b) = eid AND b.scope = $sk AND r.sync_to IS NULL
	RETURN a.id, type(r), b.id, properties(r), elementId(r)`

// stmtCloseEdges closes replaced relationships.
const stmtCloseEdges = `UNWIND $rows AS eid
	MATCH (a)-[r]->() WHERE elementId(r) = eid
	  AND a.scope = $sk AND r.sync_from < $sync AND (r.sync_to IS NULL OR r.sync_to = $sync)
	SET r.sync_to = $sync
	RETURN count(*)`

// stmtCloseFindings closes replaced findings.
const stmtCloseFindings = `UNWIND $rows AS eid
	MATCH (f) WHERE elementId(f) = eid AND 'Finding' IN labels(f)
	  AND f.scope = $sk AND f.sync_from < $sync AND (f.sync_to IS NULL OR f.sync_to = $sync)
	SET f.sync_to = $sync
	RETURN count(*)`

// stmtCloseNodes closes replaced nodes.
const stmtCloseNodes = `UNWIND $rows AS eid
	MATCH (n) WHERE elementId(n) = eid AND 'Resource' IN labels(n)
	  AND n.scope = $sk AND n.sync_from < $sync AND (n.sync_to IS NULL OR n.sync_to = $sync)
	SET n.sync_to = $sync
	RETURN count(*)`

// stmtWriteEdges creates relationships between node versions given by element id.
const stmtWriteEdges = `UNWIND $rows AS row
	MATCH (a) WHERE elementId(a) = row[0] AND a.scope = $sk
	MATCH (b) WHERE elementId(b) = row[1] AND b.scope = $sk
	CREATE (a)-[r:$(row[2])]->(b)
	SET r = row[3]
	RETURN count(*)`

// stmtWriteFindings creates findings and links them to their resource version.
const stmtWriteFindings = `UNWIND $rows AS row
	CREATE (f:Finding)
	SET f = row[0]
	WITH f, row
	CALL (f, row) {
		MATCH (r) WHERE elementId(r) = row[1] AND r.scope = $sk
		CREATE (f)-[:ON]->(r)
		RETURN count(*) AS linked
	}
	RETURN count(*), sum(linked)`

// stmtDeleteEdges deletes superseded relationships.
const stmtDeleteEdges = `UNWIND $rows AS eid
	CALL (eid) {
		MATCH (a)-[r]->() WHERE elementId(r) = eid AND a.scope = $sk AND r.sync_to = $sync
		DELETE r
	} IN TRANSACTIONS OF $batch ROWS`

// stmtDeleteFindings deletes superseded findings.
const stmtDeleteFindings = `UNWIND $rows AS eid
	CALL (eid) {
		MATCH (f) WHERE elementId(f) = eid AND 'Finding' IN labels(f) AND f.scope = $sk AND f.sync_to = $sync
		DETACH DELETE f
	} IN TRANSACTIONS OF $batch ROWS`

// stmtDeleteNodes deletes superseded nodes.
const stmtDeleteNodes = `UNWIND $rows AS eid
	CALL (eid) {
		MATCH (n) WHERE elementId(n) = eid AND 'Resource' IN labels(n) AND n.scope = $sk AND n.sync_to = $sync
		DETACH DELETE n
	} IN TRANSACTIONS OF $batch ROWS`

// stmtDeleteEdgesNow, stmtDeleteFindingsNow and stmtDeleteNodesNow delete
// superseded rows inside the switching transaction (see switchIn).
const stmtDeleteEdgesNow = `UNWIND $rows AS eid
	MATCH (a)-[r]->() WHERE elementId(r) = eid AND a.scope = $sk AND r.sync_to = $sync
	DELETE r
	RETURN count(*)`

const stmtDeleteFindingsNow = `UNWIND $rows AS eid
	MATCH (f) WHERE elementId(f) = eid AND 'Finding' IN labels(f) AND f.scope = $sk AND f.sync_to = $sync
	DETACH DELETE f
	RETURN count(*)`

const stmtDeleteNodesNow = `UNWIND $rows AS eid
	MATCH (n) WHERE elementId(n) = eid AND 'Resource' IN labels(n) AND n.scope = $sk AND n.sync_to = $sync
	DETACH DELETE n
	RETURN count(*)`

// stmtSetDigests updates the outgoing-edge digest of nodes whose edges
// changed while the node itself did not (see outDigests).
const stmtSetDigests = `UNWIND $rows AS row
	MATCH (n) WHERE elementId(n) = row[0] AND n.scope = $sk
	SET n.out_digest = row[1], n.out_digest_sync = $sync
	RETURN count(*)`

// elementIDStatements are the statements above, for the plan test.
var elementIDStatements = map[string]string{
	"stmtReadOut":           stmtReadOut,
	"stmtReadIn":            stmtReadIn,
	"stmtCloseEdges":        stmtCloseEdges,
	"stmtCloseFindings":     stmtCloseFindings,
	"stmtCloseNodes":        stmtCloseNodes,
	"stmtWriteEdges":        stmtWriteEdges,
	"stmtWriteFindings":     stmtWriteFindings,
	"stmtDeleteEdges":       stmtDeleteEdges,
	"stmtDeleteFindings":    stmtDeleteFindings,
	"stmtDeleteNodes":       stmtDeleteNodes,
	"stmtSetDigests":        stmtSetDigests,
	"stmtDeleteEdgesNow":    stmtDeleteEdgesNow,
	"stmtDeleteFindingsNow": stmtDeleteFindingsNow,
	"stmtDeleteNodesNow":    stmtDeleteNodesNow,
}

// Current rows of the scope by id, read whole: rows a sync carries over
// with a changed state (fetch), or unchanged into its projection.
const (
	stmtFetchNodes = `UNWIND $rows AS id
		MATCH (n:Resource {id: id}) USING INDEX n:Resource(id) WHERE n.scope = $sk AND n.sync_to IS NULL
		RETURN properties(n)`
	stmtFetchFindings = `UNWIND $rows AS id
		MATCH (f:Finding {id: id}) USING INDEX f:Finding(id) WHERE f.scope = $sk AND f.sync_to IS NULL
		RETURN properties(f)`
)
