package fetch

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// eksAccessProxy forwards to moto but answers, in the EKS API's documented
// REST shapes, the access-entry and Pod Identity operations moto 5.1 does
// not implement.
func eksAccessProxy(t *testing.T, moto string) string {
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	const admin = "arn:aws:iam::123456789012:role/platform-admin"
	answer := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path // decoded: the principal ARN's ":" and "/" as sent escaped
		switch {
		case r.Method == http.MethodGet && p == "/clusters/prod/access-entries":
			answer(w, map[string]any{"accessEntries": []string{admin}})
		case r.Method == http.MethodGet && p == "/clusters/prod/access-entries/"+admin+"/access-policies":
			answer(w, map[string]any{"clusterName": "prod", "principalArn": admin, "associatedAccessPolicies": []any{
				map[string]any{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
					"accessScope": map[string]any{"type": "namespace", "namespaces": []string{"apps"}}, "associatedAt": 1.7e9, "modifiedAt": 1.7e9}}})
		case r.Method == http.MethodGet && p == "/clusters/prod/access-entries/"+admin:
			answer(w, map[string]any{"accessEntry": map[string]any{"clusterName": "prod", "principalArn": admin, "type": "STANDARD",
				"username": "platform-admin", "kubernetesGroups": []string{"deployers"}, "accessEntryArn": "arn:aws:eks:us-east-1:123456789012:access-entry/prod/role/123456789012/platform-admin/x"}})
		case r.Method == http.MethodGet && p == "/clusters/prod/pod-identity-associations":
			answer(w, map[string]any{"associations": []any{map[string]any{"clusterName": "prod", "namespace": "apps", "serviceAccount": "reporting",
				"associationArn": "arn:aws:eks:us-east-1:123456789012:podidentityassociation/prod/a-1", "associationId": "a-1"}}})
		case r.Method == http.MethodGet && p == "/clusters/prod/pod-identity-associations/a-1":
			answer(w, map[string]any{"association": map[string]any{"clusterName": "prod", "namespace": "apps", "serviceAccount": "reporting",
				"roleArn": "arn:aws:iam::123456789012:role/reporting", "associationArn": "arn:aws:eks:us-east-1:123456789012:podidentityassociation/prod/a-1", "associationId": "a-1"}})
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestEKSReadsAccessEntriesAndPodIdentity(t *testing.T) {
	moto := motoEndpoint(t)
	seedEKS(t, testConfig("AKIAIOSFODNN7EXAMPLE"), moto)
	inv := collectMoto(t, eksAccessProxy(t, moto), Options{Services: []string{ServiceEKS}})
	if f, failed := failedArea(inv, ServiceEKS+"/access-entries", "us-east-1"); failed {
		t.Fatalf("access entries failed: %+v", f)
	}
	c := inv.Regional["us-east-1"].EKSClusters[0]
	if len(c.Unavailable) != 0 {
		t.Errorf("unavailable = %v, want none", c.Unavailable)
	}
	if len(c.AccessEntries) != 1 {
		t.Fatalf("access entries = %+v", c.AccessEntries)
	}
	e := c.AccessEntries[0]
	if e.PrincipalARN != "arn:aws:iam::123456789012:role/platform-admin" || e.Type != "STANDARD" || e.Username != "platform-admin" ||
		strings.Join(e.KubernetesGroups, ",") != "deployers" || len(e.Policies) != 1 ||
		e.Policies[0].ScopeType != "namespace" || strings.Join(e.Policies[0].Namespaces, ",") != "apps" ||
		!strings.HasSuffix(e.Policies[0].PolicyARN, "/AmazonEKSEditPolicy") {
		t.Errorf("access entry = %+v", e)
	}
	if len(c.PodIdentities) != 1 || c.PodIdentities[0].RoleARN != "arn:aws:iam::123456789012:role/reporting" ||
		c.PodIdentities[0].Namespace != "apps" || c.PodIdentities[0].ServiceAccount != "reporting" {
		t.Errorf("pod identities = %+v", c.PodIdentities)
	}
}
