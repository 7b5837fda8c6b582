package terraform

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/breachpath/breachpath/collector/strictjson"
	tfjson "github.com/hashicorp/terraform-json"
)

// maxPlanBytes bounds the plan file read (a plan of tens of thousands of
// resources is a few hundred MB at most).
const maxPlanBytes = 1 << 30

// ReadPlan reads and validates a plan in the `terraform show -json` format.
func ReadPlan(path string) (*tfjson.Plan, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if st.Size() > maxPlanBytes {
		return nil, fmt.Errorf("read plan %s: %d bytes is more than the %d accepted", path, st.Size(), maxPlanBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	p, err := ParsePlan(data)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	return p, nil
}

// ParsePlan decodes a plan in the `terraform show -json` format. The plan
// of a pull request is untrusted input (the gate runs on changes anyone may
// propose): an object that names a key twice is refused
// (collector/strictjson), since encoding/json would keep the last value and
// the gate could judge a resource other than the one a reviewer reads. Keys
// compare exactly: AWS tag keys are case-sensitive.
func ParsePlan(data []byte) (*tfjson.Plan, error) {
	if len(data) > maxPlanBytes {
		return nil, fmt.Errorf("%d bytes is more than the %d accepted", len(data), maxPlanBytes)
	}
	if err := strictjson.Check(data, false); err != nil {
		return nil, err
	}
	var p tfjson.Plan
	if err := p.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("want `terraform show -json` output: %w", err)
	}
	return &p, nil
}

// Location is where a resource block is written.
type Location struct {
	File string
	Line int
}

var resourceBlock = regexp.MustCompile(`^\s*resource\s+"([A-Za-z0-9_-]+)"\s+"([A-Za-z0-9_-]+)"`)

// Locate finds the resource blocks of the root module's .tf files in dir
// (the plan's configuration block names no files, so the gate reads them).
// Addresses map to paths relative to rel (the repository root SARIF
// locations are relative to); resources in child modules are not located.
func Locate(dir, rel string) (map[string]Location, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, fmt.Errorf("locate resources: %w", err)
	}
	sort.Strings(files)
	out := map[string]Location{}
	for _, f := range files {
		if err := locateFile(f, rel, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func locateFile(path, rel string, out map[string]Location) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("locate resources: %w", err)
	}
	defer f.Close()
	name := path
	if rel != "" {
		if r, err := filepath.Rel(rel, path); err == nil {
			name = r
		}
	}
	name = filepath.ToSlash(name)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if m := resourceBlock.FindStringSubmatch(sc.Text()); m != nil {
			addr := m[1] + "." + m[2]
			if _, dup := out[addr]; !dup {
				out[addr] = Location{File: name, Line: line}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("locate resources in %s: %w", path, err)
	}
	return nil
}

// LocationOf returns the block location of an address, its count or
// for_each index stripped.
func LocationOf(locs map[string]Location, addr string) (Location, bool) {
	if i := strings.IndexByte(addr, '['); i > 0 {
		addr = addr[:i]
	}
	l, ok := locs[addr]
	return l, ok
}
