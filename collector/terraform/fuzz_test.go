package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzPlan feeds arbitrary plan JSON through the parser and the conversion
// of both sides to AWS inventories: a plan is untrusted input (a pull
// request writes it), and no plan may panic the gate. (The AWS transform
// the inventories then go through has its own fuzz targets.)
func FuzzPlan(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "cmd", "breachpath", "testdata", "gate", "*.plan.json"))
	for _, s := range seeds {
		if filepath.Base(s) == "bench-50.plan.json" {
			continue
		}
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_instance.x","mode":"managed","type":"aws_instance","change":{"actions":["create"],"after":{"subnet_id":7,"vpc_security_group_ids":[null,{}]},"after_unknown":{"iam_instance_profile":true,"metadata_options":[true]}}}]}`))
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_route.r","mode":"managed","type":"aws_route","change":{"actions":["create"],"after":{"route_table_id":"rtb-1"},"after_unknown":{"destination_cidr_block":true}}}],"configuration":{"root_module":{"resources":[{"address":"aws_route.r","expressions":{"gateway_id":{"references":["aws_internet_gateway.g"]}}}]}}}`))
	f.Add(seedPlan(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			return
		}
		c, err := Convert(p, Options{AccountID: "123456789012"})
		if err != nil {
			return
		}
		if c.Before == nil || c.After == nil {
			t.Fatal("a converted plan lacks a side")
		}
	})
}

// FuzzLocate feeds arbitrary .tf text (a pull request writes it too) to the
// resource-block locator: it may refuse a file, never panic, and every
// location it returns names the file and a line in it.
func FuzzLocate(f *testing.F) {
	f.Add([]byte("resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"data\"\n}\n"))
	f.Add([]byte("  resource \"aws_iam_role\" \"a\" {}\nresource \"aws_iam_role\" \"a\" {}\n"))
	f.Add([]byte("resource \"x\" \"y\"\r\n\x00\xff"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "main.tf")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		locs, err := Locate(dir, dir)
		if err != nil {
			return
		}
		lines := 1 + strings.Count(string(data), "\n")
		for addr, l := range locs {
			if l.File != "main.tf" || l.Line < 1 || l.Line > lines {
				t.Fatalf("%s located at %+v in a file of %d lines", addr, l, lines)
			}
		}
	})
}
