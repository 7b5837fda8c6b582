package api

import (
	"strings"
	"testing"
)

// GET /api/v1/compliance answers as documented (the client validates every
// answer against the OpenAPI document) with the same report as the CLI on a
// synthetic estate: the failing CIS AWS controls list their failing
// resources, controls with failures on attack paths come first, and every
// download format is served.
func TestComplianceReportAnswersAsDocumented(t *testing.T) {
	_, c := newServer(t, Config{Store: syntheticStore(t, t.TempDir(), 1500)})
	list := c.get("/api/v1/compliance")
	if list.status != 200 || !strings.Contains(string(list.body), `"cis-aws-3.0"`) {
		t.Fatalf("framework list: %d %s", list.status, list.body)
	}
	a := c.get("/api/v1/compliance?framework=cis-aws-3.0")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var rep struct {
		Summary struct {
			Controls, Pass, Fail int
			NotEvaluated         int `json:"not_evaluated"`
			FailOnPath           int `json:"fail_on_path"`
		} `json:"summary"`
		Controls []struct {
			ID, Status string
			OnPath     int `json:"on_path"`
			Failures   []struct {
				Resource string `json:"resource"`
				OnPath   bool   `json:"on_path"`
			} `json:"failures"`
		} `json:"controls"`
	}
	a.decode(t, &rep)
	if rep.Summary.Controls != 62 || rep.Summary.Fail == 0 || rep.Summary.Pass+rep.Summary.Fail+rep.Summary.NotEvaluated != 62 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	seenOffPath := false
	for _, ctl := range rep.Controls {
		if ctl.Status == "fail" && len(ctl.Failures) == 0 {
			t.Errorf("control %s fails with no failing resource", ctl.ID)
		}
		if ctl.Status == "fail" && ctl.OnPath == 0 {
			seenOffPath = true
		}
		if ctl.Status == "fail" && ctl.OnPath > 0 && seenOffPath {
			t.Errorf("control %s has failures on attack paths but comes after a failing control without", ctl.ID)
		}
	}
	for _, tc := range []struct{ format, contentType, want string }{
		{"csv", "text/csv", "framework,control,title,status"},
		{"html", "text/html", "<!DOCTYPE html>"},
		{"ocsf", "application/json", `"class_uid": 2003`},
	} {
		d := c.get("/api/v1/compliance?framework=cis-aws-3.0&format=" + tc.format)
		if d.status != 200 || !strings.HasPrefix(d.header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(d.body), tc.want) {
			t.Errorf("format %s: %d %s %.200s", tc.format, d.status, d.header.Get("Content-Type"), d.body)
		}
		if !strings.Contains(d.header.Get("Content-Disposition"), "breachpath-compliance-cis-aws-3.0") {
			t.Errorf("format %s: Content-Disposition %q", tc.format, d.header.Get("Content-Disposition"))
		}
	}
	for _, bad := range []string{"framework=cis-aws-9", "framework=cis-aws-3.0&format=pdf"} {
		if b := c.get("/api/v1/compliance?" + bad); b.status != 400 || b.errorCode(t) != codeBadParameter {
			t.Errorf("%s: %d %s", bad, b.status, b.body)
		}
	}
}
