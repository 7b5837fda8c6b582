package labs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	"github.com/breachpath/breachpath/api"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/scoring/export"
)

// TestPlantedSecretsReachNoStoreExportAPIOrLog plants credential values in
// every configuration the collector reads (Lambda and container
// environments, user data, a String parameter, a CodeBuild project, objects
// of a configuration bucket read by --scan-config-objects),
// collects them with debug logging, stores them in an embedded store file,
// exports every queue format and asks the API for everything it serves
// about them, and requires that no planted value appears anywhere — while
// the credentials themselves are found (their nodes exist).
func TestPlantedSecretsReachNoStoreExportAPIOrLog(t *testing.T) {
	ep := mototest.Endpoint(t)
	t.Parallel()
	ctx := context.Background()
	cfg, account := newAccount(t, ctx, ep)
	e := &estate{t: t, ctx: ctx, cfg: cfg, account: account}

	const urlPassword = "Url-Pa55-planted-77"
	planted := []string{plantedSecretKey, plantedPassword, urlPassword}
	deployer := e.user("deployer", nil)
	e.attachUser("deployer", e.admin())
	keyID, realSecret := e.accessKey("deployer")
	planted = append(planted, realSecret)
	exec := e.role("exec", trustService("lambda.amazonaws.com"), nil)
	fn := e.lambda("planted-fn", exec, map[string]string{"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": realSecret, "DB_PASSWORD": plantedPassword})
	e.taskDefinition("planted-task", "", map[string]string{"API_TOKEN": plantedPassword, "AWS_SECRET_ACCESS_KEY": plantedSecretKey}, false)
	e.ssmParam("/planted/creds", "aws_access_key_id="+keyID+"\naws_secret_access_key="+plantedSecretKey, false)
	e.ssmParam("/planted/secure", plantedPassword, true)
	svc := e.role("cb", trustService("codebuild.amazonaws.com"), nil)
	e.codeBuild("planted-build", svc, map[string]string{"DB_PASSWORD": plantedPassword})
	const loginPassword = "Login-Pa55-planted-47"
	planted = append(planted, loginPassword)
	n := e.vpc("10.40.0.0/16", "10.40.1.0/24", true, "0.0.0.0/0", 80, 22)
	inst := e.instance(n, instanceOpts{publicIP: true, userData: "#!/bin/bash\nexport DB_PASSWORD=" + plantedPassword +
		"\nexport DATABASE_URL=postgresql://app:" + urlPassword + "@db.internal:5432/app\n" +
		"echo \"ec2-user:" + loginPassword + "\" | chpasswd\n"})

	const objectPassword = "Obj-Pa55-planted-31"
	planted = append(planted, objectPassword)
	cfgBucket := e.bucket("deploy-config", nil, "")
	e.object(cfgBucket, "prod/.env", "AWS_ACCESS_KEY_ID="+keyID+"\nAWS_SECRET_ACCESS_KEY="+realSecret+"\nDB_PASSWORD="+objectPassword+"\n")
	e.object(cfgBucket, "prod/credentials", "[default]\naws_access_key_id = "+keyID+"\naws_secret_access_key = "+plantedSecretKey+"\n")

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.BaseEndpoint = nil
	snaps, _, err := awscollector.Collect(ctx, cfg, awscollector.CollectOptions{
		Fetch: fetch.Options{Regions: []string{region}, Endpoint: ep, Concurrency: 4, Logger: log, Retryer: fetch.NewRetryer(3, time.Millisecond),
			Services:          []string{fetch.ServiceIAM, fetch.ServiceEC2, fetch.ServiceLambda, fetch.ServiceECS, fetch.ServiceSSM, fetch.ServiceCodeBuild, fetch.ServiceS3},
			ScanConfigObjects: true},
		Transform: awscollector.TransformOptions{Logger: log}})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	snap := snaps[0]
	creds := 0
	for _, nd := range snap.Nodes {
		if strings.Contains(nd.ID, "#credential/") {
			creds++
		}
	}
	for _, holder := range []string{fn, inst, cfgBucket} {
		if !slices.ContainsFunc(snap.Nodes, func(nd graph.Node) bool { return strings.HasPrefix(nd.ID, holder+"#credential/") }) {
			t.Errorf("no credential found in %s", holder)
		}
	}
	if creds < 10 {
		t.Errorf("%d credentials found, want at least 10 (the detector must find what it keeps out)", creds)
	}

	dir := t.TempDir()
	db := filepath.Join(dir, "planted.db")
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(ctx, snap); err != nil {
		t.Fatalf("sync: %v", err)
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	an, err := scoring.Analyse(ctx, g, pathsOptions(), scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var exports bytes.Buffer
	for _, f := range export.Formats() {
		if err := export.Write(&exports, f, an.Report); err != nil {
			t.Fatalf("export %s: %v", f, err)
		}
	}

	srv, err := api.New(api.Config{Store: st, Token: "planted-test-token-0123456789", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var answers bytes.Buffer
	get := func(path string) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer planted-test-token-0123456789")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answers.Write(b)
	}
	for _, p := range []string{"/api/v1/paths?limit=500", "/api/v1/findings?all=true&limit=500", "/api/v1/queue", "/api/v1/stats",
		"/api/v1/search?q=credential", "/api/v1/compromised?source=" + url.QueryEscape(keyID), "/api/v1/compromised?source=i-"} {
		get(p)
	}
	for _, nd := range snap.Nodes {
		if strings.Contains(nd.ID, "#credential/") || nd.ID == fn || nd.ID == inst || nd.ID == deployer || nd.ID == cfgBucket {
			get("/api/v1/nodes/" + url.PathEscape(nd.ID))
			get("/api/v1/nodes/neighbourhood?id=" + url.QueryEscape(nd.ID))
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var store bytes.Buffer
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		store.Write(b)
	}
	if store.Len() == 0 || exports.Len() == 0 || answers.Len() == 0 || logs.Len() == 0 {
		t.Fatalf("nothing to scan: store %d, exports %d, api %d, logs %d bytes", store.Len(), exports.Len(), answers.Len(), logs.Len())
	}
	for _, where := range []struct {
		name string
		b    []byte
	}{{"store file", store.Bytes()}, {"exports", exports.Bytes()}, {"API responses", answers.Bytes()}, {"logs", logs.Bytes()}} {
		for _, v := range planted {
			if bytes.Contains(where.b, []byte(v)) {
				t.Errorf("planted value %q found in the %s", v[:6]+"…", where.name)
			}
		}
	}
}

func pathsOptions() paths.Options { return paths.Options{} }
