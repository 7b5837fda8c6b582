package compliance

import (
	"bytes"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/internal/chromiumtest"
)

// TestHTMLReportRendersInHeadlessChromium renders the self-contained HTML
// report in a real browser: the parsed DOM holds every control row in the
// report's order with the failing resources, a hostile resource name stays
// text, and the screenshot (kept as artifacts/compliance-report.png) is not
// blank.
func TestHTMLReportRendersInHeadlessChromium(t *testing.T) {
	bin := chromiumtest.Binary(t)
	hostile := row("aws.onpath", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc", true, 82)
	hostile.ResourceName = `<img src=x onerror="document.title='pwned'">web-1`
	rep := testReport(hostile,
		row("aws.noisy", "arn:aws:s3:::logs-bucket", false, 35),
		row("aws.port", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", false, 40, "TEST-1.0:3.1"))
	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, forbidden := range []string{"<script", "<link", "@import", "<img"} {
		if strings.Contains(html, forbidden) {
			t.Fatalf("HTML report is not self-contained or not inert: contains %q", forbidden)
		}
	}
	pg := chromiumtest.Render(t, bin, "compliance-report", page.Bytes(), 1280, 1000)
	d := pg.DOM
	if strings.Contains(d, "pwned") && !strings.Contains(d, "&lt;img") {
		t.Fatal("the hostile resource name became markup")
	}
	var order []string
	for _, part := range strings.Split(d, `data-control="`)[1:] {
		order = append(order, part[:strings.IndexByte(part, '"')])
	}
	if got := strings.Join(order, " "); got != "2.1 3.1 1.10 1.2 3.2 4.1 1.1 2.2 4.2" {
		t.Errorf("rendered control order %q", got)
	}
	for _, want := range []string{"Test Benchmark", "logs-bucket", "on 2 attack path(s)", "<svg", "not evaluated"} {
		if !strings.Contains(d, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if n := chromiumtest.Colours(pg.Screenshot, 8); n < 8 {
		t.Fatalf("screenshot has %d distinct colours: the page looks blank", n)
	}
	t.Logf("screenshot: %s", pg.ShotPath)
}
