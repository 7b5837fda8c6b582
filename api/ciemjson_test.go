package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/breachpath/breachpath/ciem"
)

// goldenReport is the CIEM package's golden report, with a principal whose
// strings need escaping.
func goldenReport(t *testing.T) *ciem.Report {
	t.Helper()
	b, err := os.ReadFile("../ciem/testdata/report.json.golden")
	if err != nil {
		t.Fatal(err)
	}
	var rep ciem.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Principals) == 0 {
		t.Fatal("the golden report has no principal")
	}
	odd := rep.Principals[0]
	odd.ID, odd.Name = `arn:aws:iam::1:user/<script>&"x"`, "\u2028 \\ \x01"
	rep.Principals = append(rep.Principals, odd)
	return &rep
}

func TestCIEMJSONIsWhatEncodingJSONWrites(t *testing.T) {
	full := goldenReport(t)
	empty := *full
	empty.Principals = []ciem.Principal{}
	none := *full
	none.Principals = nil
	for _, tc := range []struct {
		name string
		rep  *ciem.Report
	}{{"principals", full}, {"no principal", &empty}, {"nil principals", &none}} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			if err := json.NewEncoder(&want).Encode(CIEMReport{Generation: "g-7", Report: tc.rep}); err != nil {
				t.Fatal(err)
			}
			if err := writeCIEMJSON(&got, "g-7", tc.rep); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("written:\n%s\nencoding/json:\n%s", got.Bytes(), want.Bytes())
			}
		})
	}
}

func TestCIEMJSONOverTheCapStopsAtTheCap(t *testing.T) {
	rep := goldenReport(t)
	for len(rep.Principals) < 2000 {
		rep.Principals = append(rep.Principals, rep.Principals...)
	}
	var whole bytes.Buffer
	if err := writeCIEMJSON(&whole, "g", rep); err != nil {
		t.Fatal(err)
	}
	limit := whole.Len() / 10
	buf := &cappedBuffer{limit: limit, budget: &byteBudget{max: int64(whole.Len())}}
	defer buf.release()
	w := &writeSizes{w: buf}
	if err := writeCIEMJSON(w, "g", rep); !errors.Is(err, errCapped) {
		t.Fatalf("error %v, want the cap's", err)
	}
	// The encoding reaches the buffer a principal at a time, and nothing is
	// encoded once the cap refused a write.
	if w.largest >= limit {
		t.Fatalf("a write of %d bytes against a cap of %d: the report was encoded whole first", w.largest, limit)
	}
	if w.offered > limit+w.largest {
		t.Fatalf("%d bytes offered past a cap of %d", w.offered, limit)
	}
}

// writeSizes records the writes through it.
type writeSizes struct {
	w                interface{ Write([]byte) (int, error) }
	largest, offered int
}

func (s *writeSizes) Write(p []byte) (int, error) {
	s.largest = max(s.largest, len(p))
	s.offered += len(p)
	return s.w.Write(p)
}
