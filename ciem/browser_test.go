package ciem_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/internal/chromiumtest"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// fixtureReport builds the report of the AWS fixture account with its
// last-accessed data, as `breachpath ciem --from-file --last-accessed` does.
func fixtureReport(t *testing.T) *ciem.Report {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	buf, err := os.ReadFile(filepath.Join("aws", "testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := awscollector.FromAuthDetails(ctx, bytes.NewReader(buf), "authdetails.json", awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iam, err := authdetails.Load(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	if iam.LastAccessed, err = entitlements.ReadLastAccessedFile(filepath.Join("aws", "testdata", "last-accessed.json")); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: now, IAM: iam}
	if _, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	rep, err := ciem.Build(ctx, graph.Assemble(snap.Nodes, snap.Edges, snap.Findings), ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestHTMLReportRendersInHeadlessChromium(t *testing.T) {
	bin := chromiumtest.Binary(t)
	rep := fixtureReport(t)
	var page bytes.Buffer
	if err := ciem.WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, forbidden := range []string{"<script", "http://", "https://", "<link", "@import", "src="} {
		if strings.Contains(html, forbidden) {
			t.Fatalf("HTML report is not self-contained: contains %q", forbidden)
		}
	}
	pg := chromiumtest.Render(t, bin, "ciem-report", page.Bytes(), 1280, 1600)
	// The DOM as the browser parsed it: the table and chart must be there.
	for _, want := range []string{"break-glass", "ci-deploy", "<svg", "Principals by over-privilege score", "Least-privilege policy", "lambda:GetFunction"} {
		if !strings.Contains(pg.DOM, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	// A blank page is one colour; the report has a dark header, coloured score badges and bars.
	if n := chromiumtest.Colours(pg.Screenshot, 8); n < 20 {
		t.Fatalf("screenshot has %d distinct colours: the page looks blank", n)
	}
	t.Logf("screenshot: %s", pg.ShotPath)
}
