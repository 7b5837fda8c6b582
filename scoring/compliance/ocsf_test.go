package compliance

import (
	"bytes"
	"encoding/json"
	"testing"
)

// ocsfRequired are the attributes OCSF 1.3.0 requires of a Compliance
// Finding (https://schema.ocsf.io/1.3.0/classes/compliance_finding): the
// base event's (activity_id, category_uid, class_uid, metadata,
// severity_id, time, type_uid), the Findings category's finding_info and
// the class's compliance; within them metadata.product and
// metadata.version, finding_info.uid and compliance.standards. Read from
// the schema's events/base_event.json, events/findings/finding.json,
// events/findings/compliance_finding.json and objects/*.json.
var ocsfRequired = []string{"activity_id", "category_uid", "class_uid", "metadata", "severity_id", "time", "type_uid", "finding_info", "compliance"}

func TestOCSFEventsCarryTheClassRequiredFields(t *testing.T) {
	rep := testReport(
		row("aws.noisy", "arn:aws:s3:::b1", false, 30),
		row("aws.onpath", "arn:aws:ec2:i-1", true, 80),
	)
	var buf bytes.Buffer
	if err := Write(&buf, "ocsf", rep); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
		t.Fatal(err)
	}
	// one event per failing resource (2), per passing control (4) and per
	// control nothing evaluated (3)
	if len(events) != 2+4+3 {
		t.Fatalf("%d events", len(events))
	}
	statuses := map[float64]int{}
	for i, e := range events {
		for _, k := range ocsfRequired {
			if _, ok := e[k]; !ok {
				t.Errorf("event %d lacks required %s", i, k)
			}
		}
		if e["class_uid"] != float64(2003) || e["category_uid"] != float64(2) || e["type_uid"] != float64(200301) || e["activity_id"] != float64(1) {
			t.Errorf("event %d classified as class %v category %v type %v activity %v", i, e["class_uid"], e["category_uid"], e["type_uid"], e["activity_id"])
		}
		if sev, _ := e["severity_id"].(float64); sev < 0 || sev > 6 {
			t.Errorf("event %d severity_id %v", i, e["severity_id"])
		}
		if tm, _ := e["time"].(float64); tm <= 0 {
			t.Errorf("event %d time %v", i, e["time"])
		}
		meta, _ := e["metadata"].(map[string]any)
		if meta["version"] != "1.3.0" || meta["product"] == nil {
			t.Errorf("event %d metadata %v", i, meta)
		}
		fi, _ := e["finding_info"].(map[string]any)
		if uid, _ := fi["uid"].(string); uid == "" {
			t.Errorf("event %d finding_info %v", i, fi)
		}
		comp, _ := e["compliance"].(map[string]any)
		std, _ := comp["standards"].([]any)
		if len(std) == 0 || comp["control"] == "" {
			t.Errorf("event %d compliance %v", i, comp)
		}
		st, _ := comp["status_id"].(float64)
		statuses[st]++
		if st == 3 {
			res, _ := e["resources"].([]any)
			if len(res) != 1 {
				t.Errorf("failing event %d names %d resources", i, len(res))
			}
		}
	}
	if statuses[3] != 2 || statuses[1] != 4 || statuses[2] != 3 {
		t.Errorf("compliance status_id counts %v, want fail 2, pass 4, warning 3", statuses)
	}
}
