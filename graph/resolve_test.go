package graph

import (
	"slices"
	"strings"
	"testing"
)

func TestResolveNamesTheNodesAUserMeans(t *testing.T) {
	g := Assemble([]Node{
		{ID: "arn:aws:iam::1:user/raynor", Kind: KindUser, Name: "raynor", Props: Props{PropIdentifiers: []string{"AKIAAAAAAAAAAAAAAAAA"}}},
		{ID: "arn:aws:iam::1:role/raynor", Kind: KindRole, Name: "raynor"},
		{ID: "arn:aws:ec2:us-east-1:1:instance/i-0abc", Kind: KindCompute, Name: "web-1"},
		{ID: "arn:aws:iam::1:role/stubbed", Kind: KindRole, Name: "stubbed", Stub: true},
	}, nil, nil)
	tests := []struct {
		ref     string
		want    []string
		wantWhy string
	}{
		{"arn:aws:ec2:us-east-1:1:instance/i-0abc", []string{"arn:aws:ec2:us-east-1:1:instance/i-0abc"}, ""},
		{"AKIAAAAAAAAAAAAAAAAA", []string{"arn:aws:iam::1:user/raynor"}, ""},
		{"i-0abc", []string{"arn:aws:ec2:us-east-1:1:instance/i-0abc"}, ""},
		{"web-1", []string{"arn:aws:ec2:us-east-1:1:instance/i-0abc"}, ""},
		{"raynor", []string{"arn:aws:iam::1:role/raynor", "arn:aws:iam::1:user/raynor"}, ""},
		{"stubbed", nil, "no node"},
		{"AKIAUNKNOWNUNKNOWNXX", nil, "not collected"},
		{" ", nil, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			got, why := g.Resolve(tc.ref)
			if !slices.Equal(got, tc.want) || (tc.wantWhy != "" && !strings.Contains(why, tc.wantWhy)) || (tc.wantWhy == "" && why != "") {
				t.Errorf("Resolve(%q) = %v, %q; want %v, %q", tc.ref, got, why, tc.want, tc.wantWhy)
			}
		})
	}
}
