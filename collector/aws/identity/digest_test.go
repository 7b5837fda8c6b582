package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Golden digests of the 1k-principal benchmark account (benchInventory(600, 400)), recorded before
// the performance work on Build. Build's output must not depend on how it is computed: a change
// to either value means a result changed, which a performance change must never do. Update them
// only with a change that intends to change results, and say so in its commit message.
const (
	// goldenCore covers what the attack graph consumes: node ids and kinds, edge keys with their
	// conditional flags and findings, finding ids.
	goldenCore = "91f37a58defcdf902b00b3f17b0539ead5af423c849e2f655df3ec2eeefab15d"
	// goldenFull covers the whole Part (JSON of nodes, edges with evidence, findings, principal
	// summaries, warnings), so evidence text and summaries are pinned too.
	goldenFull = "2b83be3376ac5936f66fb0db5df82bb405cc5ad6c3cad6da62beaf16d0a93f5f"
)

// partDigests returns the core and full digests of a Part; Build sorts the Part, so equal results
// give equal digests.
func partDigests(t testing.TB, part *Part) (core, full string) {
	t.Helper()
	h := sha256.New()
	for _, n := range part.Nodes {
		fmt.Fprintf(h, "N %s %s\n", n.ID, n.Kind)
	}
	for i := range part.Edges {
		e := &part.Edges[i]
		fmt.Fprintf(h, "E %s %v %s\n", e.Key(), e.Conditional, strings.Join(e.Findings, ","))
	}
	for _, f := range part.Findings {
		fmt.Fprintf(h, "F %s\n", f.ID)
	}
	core = hex.EncodeToString(h.Sum(nil))

	h = sha256.New()
	enc := json.NewEncoder(h)
	for _, v := range []any{part.Nodes, part.Edges, part.Findings, part.Principals, part.Warnings} {
		if err := enc.Encode(v); err != nil {
			t.Fatalf("encoding the part: %v", err)
		}
	}
	full = hex.EncodeToString(h.Sum(nil))
	return core, full
}

// TestBuildDigestIsStable pins Build's complete output on a mid-size synthetic account.
//
// BREACHPATH_DIGEST_PRINCIPALS=<n> instead builds the benchmark account with n principals (60%
// users) and logs its digests, to compare a larger account before and after a change by hand;
// BREACHPATH_DIGEST_DUMP=<file> also writes the part's JSON there for diffing.
func TestBuildDigestIsStable(t *testing.T) {
	users, roles := 600, 400
	custom := os.Getenv("BREACHPATH_DIGEST_PRINCIPALS")
	if custom != "" {
		n, err := strconv.Atoi(custom)
		if err != nil || n < 10 {
			t.Fatalf("BREACHPATH_DIGEST_PRINCIPALS=%q: want a number >= 10", custom)
		}
		users, roles = n*6/10, n-n*6/10
	}
	part, err := Build(context.Background(), benchInventory(users, roles), Options{Now: testNow, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	core, full := partDigests(t, part)
	t.Logf("%d principals: %d nodes, %d edges, %d findings; core %s full %s",
		users+roles, len(part.Nodes), len(part.Edges), len(part.Findings), core, full)
	if path := os.Getenv("BREACHPATH_DIGEST_DUMP"); path != "" {
		dump(t, part, path)
	}
	if custom != "" {
		return
	}
	if core != goldenCore {
		t.Errorf("core digest %s, want %s: Build's nodes, edges or findings changed", core, goldenCore)
	}
	if full != goldenFull {
		t.Errorf("full digest %s, want %s: Build's output (evidence, summaries, ...) changed", full, goldenFull)
	}
}

// dump writes the part as one JSON value per line (nodes, edges, findings, principals) so two
// runs can be compared with diff.
func dump(t *testing.T, part *Part, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for i := range part.Nodes {
		_ = enc.Encode(part.Nodes[i])
	}
	for i := range part.Edges {
		_ = enc.Encode(part.Edges[i])
	}
	for i := range part.Findings {
		_ = enc.Encode(part.Findings[i])
	}
	for i := range part.Principals {
		_ = enc.Encode(part.Principals[i])
	}
	if err := enc.Encode(part.Warnings); err != nil {
		t.Fatal(err)
	}
}

// discardLogger keeps warnings (which the Part records anyway) out of the test output.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
