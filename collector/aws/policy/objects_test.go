package policy

import (
	"slices"
	"testing"
)

func TestObjectTargetsNameKeysAndPrefixesOfTheBucket(t *testing.T) {
	const bucket = "arn:aws:s3:::payroll"
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"object space only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}]}`,
			[]string{bucket + "/*"}},
		{"a key and a prefix, sorted and once each", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::payroll/flag.txt","arn:aws:s3:::payroll/exports/*"]},
			{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/flag.txt"}]}`,
			[]string{bucket + "/*", bucket + "/exports/*", bucket + "/flag.txt"}},
		{"wildcard bucket part matches", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pay*/flag.txt"}]}`,
			[]string{bucket + "/*", bucket + "/flag.txt"}},
		{"a key in every bucket names no bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/*aws-glue-*/*"}]}`,
			[]string{bucket + "/*"}},
		{"other buckets, variables and NotResource add nothing", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::other/flag.txt","arn:aws:s3:::payroll/home/${aws:username}/*"]},
			{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::payroll/secret.txt"}]}`,
			[]string{bucket + "/*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := ObjectTargets(bucket, p, nil); !slices.Equal(got, tc.want) {
				t.Errorf("ObjectTargets = %q, want %q", got, tc.want)
			}
		})
	}
}
