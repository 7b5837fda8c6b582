package ocsf

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestClassAttributesAppearOnlyWhereSet: a Detection Finding writes its risk
// attributes even when they are zero (the class requires them), and a
// Compliance Finding, which has no risk or event status, writes none.
func TestClassAttributesAppearOnlyWhereSet(t *testing.T) {
	detection, err := json.Marshal(Event{ClassUID: ClassDetectionFinding, StatusID: 1, Status: "New", Risk: &Risk{RiskLevel: RiskLevels[0]}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"risk_score":0`, `"risk_level_id":0`, `"risk_level":"Info"`, `"status_id":1`} {
		if !strings.Contains(string(detection), want) {
			t.Errorf("detection finding lacks %s: %s", want, detection)
		}
	}
	compliance, err := json.Marshal(Event{ClassUID: ClassComplianceFinding, Compliance: &Compliance{Standards: []string{"CIS"}, Control: "1.1", StatusID: 1, Status: "Pass"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"risk_", `"status_id":0`, `"resources"`, `"unmapped"`} {
		if strings.Contains(string(compliance), absent) {
			t.Errorf("compliance finding has %s: %s", absent, compliance)
		}
	}
	if TypeUID(ClassComplianceFinding) != 200301 || TypeUID(ClassDetectionFinding) != 200401 {
		t.Error("type_uid is class_uid*100 + activity_id")
	}
}
