package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// conditionalStore stores an estate where the Internet reaches a web instance whose role
// escalates to the administrator only conditionally, after a tag change, and a second, exposed
// instance whose role reads payroll data outright.
func conditionalStore(t *testing.T) string {
	t.Helper()
	const acct = "123456789012"
	iam := func(res string) string { return "arn:aws:iam::" + acct + ":" + res }
	node := func(id string, kind graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: acct, Name: name}
	}
	admin := node(iam("role/admin"), graph.KindRole, "admin")
	admin.CrownJewel = true
	payroll := node("arn:aws:s3:::payroll", graph.KindBucket, "payroll")
	payroll.Sensitivity = graph.SensitivityRestricted
	web, batch := "arn:aws:ec2:us-east-1:"+acct+":instance/i-web", "arn:aws:ec2:us-east-1:"+acct+":instance/i-batch"
	snap := &graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, CollectedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Collector: "test",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true}, node(web, graph.KindCompute, "web"), node(batch, graph.KindCompute, "batch"),
			node(iam("role/web"), graph.KindRole, "web-role"), node(iam("role/batch"), graph.KindRole, "batch-role"), admin, payroll},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: web, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			{From: graph.InternetID, To: batch, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			{From: web, To: iam("role/web"), Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"},
			{From: batch, To: iam("role/batch"), Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"},
			{From: iam("role/web"), To: iam("role/admin"), Kind: graph.EdgeEscalatesTo, Technique: "aws.iam.put-role-policy", Conditional: true,
				Props:    graph.Props{graph.PropTagStep: "iam:TagRole on " + iam("role/admin") + " sets team=web"},
				Evidence: []string{"conditional on aws:sourceip"}},
			{From: iam("role/batch"), To: "arn:aws:s3:::payroll", Kind: graph.EdgeReads, Technique: "aws.s3.reads"},
		}}
	db := filepath.Join(t.TempDir(), "conditional.db")
	st, err := embedded.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestPathOutputsMarkConditionalMoves: `paths` (table, JSON, --explain) and `paths --target admin`
// (table, JSON) mark the path, the hop and the principal that hold only conditionally, name the
// hop's tag step, and leave the unconditional ones unmarked.
func TestPathOutputsMarkConditionalMoves(t *testing.T) {
	db := conditionalStore(t)
	run := func(args ...string) string {
		out, errOut, err := runRoot(t, append([]string{"--db", db}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return out
	}
	lineOf := func(out, sub string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, sub) {
				return l
			}
		}
		return ""
	}
	t.Run("paths table", func(t *testing.T) {
		out := run("paths")
		if l := lineOf(out, "aws.iam.put-role-policy"); !strings.Contains(l, "(conditional)") {
			t.Errorf("the conditional path's row is not marked: %q\n%s", l, out)
		}
		if l := lineOf(out, "aws.s3.reads"); l == "" || strings.Contains(l, "(conditional)") {
			t.Errorf("the unconditional path's row: %q\n%s", l, out)
		}
	})
	t.Run("paths json", func(t *testing.T) {
		var got struct {
			Paths []struct {
				Target      string `json:"target"`
				Conditional bool   `json:"conditional"`
				Hops        []struct {
					Technique   string `json:"technique"`
					Conditional bool   `json:"conditional"`
					TagStep     string `json:"tag_step"`
				} `json:"hops"`
			} `json:"paths"`
		}
		out := run("paths", "--format", "json")
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("paths --format json: %v\n%s", err, out)
		}
		checked := 0
		for _, p := range got.Paths {
			for _, h := range p.Hops {
				if h.Technique == "aws.iam.put-role-policy" {
					checked++
					if !p.Conditional || !h.Conditional || !strings.Contains(h.TagStep, "iam:TagRole") {
						t.Errorf("conditional path %+v", p)
					}
				}
				if h.Technique == "aws.s3.reads" && (p.Conditional || h.Conditional) {
					t.Errorf("unconditional path marked: %+v", p)
				}
			}
		}
		if checked == 0 {
			t.Fatalf("no conditional path listed:\n%s", out)
		}
	})
	t.Run("paths --explain", func(t *testing.T) {
		out := run("paths", "--explain")
		l := lineOf(out, "aws.iam.put-role-policy, p=")
		if !strings.Contains(l, "(conditional)") || !strings.Contains(l, "step 1: tag change iam:TagRole") {
			t.Errorf("the conditional hop's explanation: %q\n%s", l, out)
		}
		if l := lineOf(out, "aws.s3.reads, p="); l == "" || strings.Contains(l, "(conditional)") {
			t.Errorf("the unconditional hop's explanation: %q", l)
		}
	})
	t.Run("paths --target admin table", func(t *testing.T) {
		out := run("paths", "--target", "admin")
		if l := lineOf(out, "web-role"); !strings.Contains(l, "(conditional)") {
			t.Errorf("the conditionally escalating principal is not marked: %q\n%s", l, out)
		}
	})
	t.Run("paths --target admin json", func(t *testing.T) {
		var got struct {
			Principals []struct {
				Principal   string `json:"principal"`
				Conditional bool   `json:"conditional"`
			} `json:"principals"`
		}
		if err := json.Unmarshal([]byte(run("paths", "--target", "admin", "--format", "json")), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Principals) != 1 || !got.Principals[0].Conditional || !strings.HasSuffix(got.Principals[0].Principal, "role/web") {
			t.Errorf("principals %+v", got.Principals)
		}
	})
}
