package resources

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func TestInstanceProfileGivesRoleAndIMDSv1RaisesLikelihood(t *testing.T) {
	tests := []struct {
		name       string
		tokens     string
		wantLikely float64
		wantFind   bool
	}{
		{"IMDSv1 allowed", "optional", 0.9, true},
		{"IMDSv2 required", "required", 0.6, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			inv.Regional[region].Instances[0].MetadataHTTPTokens = tc.tokens
			p := build(t, inv, Options{})
			e := findEdge(p, webID, "USES_IDENTITY", roleARN)
			if e == nil || e.Technique != TechIMDS {
				t.Fatalf("instance -> role move = %+v", e)
			}
			if e.Likelihood != tc.wantLikely {
				t.Errorf("likelihood = %v, want %v", e.Likelihood, tc.wantLikely)
			}
			imds := graph.FindingID(RuleIMDSv1, webID)
			if got := slices.Contains(e.Findings, imds); got != tc.wantFind {
				t.Errorf("cites IMDSv1 finding = %v, want %v", got, tc.wantFind)
			}
			if hasFinding(p, RuleIMDSv1, webID) != tc.wantFind {
				t.Errorf("IMDSv1 finding present = %v, want %v", !tc.wantFind, tc.wantFind)
			}
			if findEdge(p, webID, "RUNS_AS", profARN) == nil {
				t.Error("no RUNS_AS to the instance profile")
			}
			if n := findNode(p, roleARN); n == nil || !n.Stub || n.Kind != graph.KindRole {
				t.Errorf("role stub = %+v", n)
			}
			if v, _ := findNode(p, webID).Props["imds_v1"].(bool); v != tc.wantFind {
				t.Errorf("imds_v1 prop = %v", v)
			}
		})
	}
}

func TestUnknownInstanceProfileLinksNoRole(t *testing.T) {
	inv := fixture()
	inv.IAM.InstanceProfiles = nil // IAM area failed
	p := build(t, inv, Options{})
	if findEdge(p, webID, "USES_IDENTITY", roleARN) != nil {
		t.Error("role guessed without IAM data")
	}
	if findEdge(p, webID, "RUNS_AS", profARN) == nil {
		t.Error("RUNS_AS fact lost")
	}
}

func TestSecurityGroupReferenceGivesLateralReach(t *testing.T) {
	p := build(t, fixture(), Options{})
	e := findEdge(p, webID, "REACHES", dbARN)
	if e == nil || !slices.Equal(ports(e), []string{"5432/tcp"}) || e.Technique != TechSGReach {
		t.Fatalf("web -> db reach = %+v", e)
	}
	// sg-web admits 0.0.0.0/0 on 22 and 443, which includes the database's
	// subnet; nothing admits anything on 5432 towards the web tier.
	if back := findEdge(p, dbARN, "REACHES", webID); back != nil && slices.Contains(ports(back), "5432/tcp") {
		t.Errorf("reach on a port no rule allows: %v", ports(back))
	}
}

func TestEgressRulesLimitLateralReach(t *testing.T) {
	inv := fixture()
	inv.Regional[region].SecurityGroups[0].Egress = []inventory.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}}
	if e := findEdge(build(t, inv, Options{}), webID, "REACHES", dbARN); e != nil {
		t.Fatalf("reach despite egress allowing only 443: %+v", e)
	}
}

func TestLargeFanOutCollapsesToSecurityGroupHub(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	for i := range 30 {
		id := "i-w" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		r.Instances = append(r.Instances, inventory.Instance{ID: id, State: "running", PrivateIP: "10.0.1." + itoa(20+i), SubnetID: "subnet-pub", VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-web"}})
		r.Instances = append(r.Instances, inventory.Instance{ID: id + "-db", State: "running", PrivateIP: "10.0.2." + itoa(20+i), SubnetID: "subnet-priv", VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-db"}})
	}
	// One instance whose egress allows only 443 must not enter through
	// its subnet (the subnet edge would claim every port).
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-tight", Name: "tight", VPCID: "vpc-1",
		Egress: []inventory.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}}})
	r.Instances = append(r.Instances, inventory.Instance{ID: "i-tight", State: "running", PrivateIP: "10.0.1.99", SubnetID: "subnet-pub", VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-tight"}})
	p := build(t, inv, Options{MaxReachPairs: 100})
	hub := arnOf("security-group", "sg-db")
	subnet := arnOf("subnet", "subnet-pub")
	webHub := arnOf("security-group", "sg-web")
	if e := findEdge(p, webID, "REACHES", subnet); e == nil || e.Technique != TechSubnetMember {
		t.Errorf("open-egress source does not enter through its subnet: %+v", e)
	}
	if e := findEdge(p, subnet, "REACHES", webHub); e == nil || !slices.Contains(ports(e), "22/tcp") {
		t.Errorf("subnet -> hub = %+v", e)
	}
	tight := arnOf("instance", "i-tight")
	if findEdge(p, tight, "REACHES", subnet) != nil {
		t.Error("restricted-egress source enters through its subnet")
	}
	if e := findEdge(p, tight, "REACHES", webHub); e == nil || !slices.Equal(ports(e), []string{"443/tcp"}) {
		t.Errorf("restricted-egress source -> hub = %+v, want 443/tcp only", e)
	}
	if findEdge(p, webID, "REACHES", hub) == nil {
		t.Fatal("source does not reach the hub")
	}
	if findEdge(p, hub, "REACHES", dbARN) == nil {
		t.Fatal("hub does not reach its members")
	}
	if findEdge(p, webID, "REACHES", dbARN) != nil {
		t.Error("pairwise edge emitted above the bound")
	}
	n := 0
	for _, e := range p.Edges {
		if e.Kind == graph.EdgeReaches {
			n++
		}
	}
	// Two rules of sg-web (0.0.0.0/0 admits all 64 members; 31 targets) and
	// one of sg-db (31 sources, 31 targets): pairwise that is about 4,000
	// edges; through hubs and subnets at most 2*(64+31)+(31+31).
	if n > 2*(64+31)+(31+31) {
		t.Errorf("%d REACHES edges; the hubs should keep it near |S|+|T|", n)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestPublicBucketRespectsBlockPublicAccess(t *testing.T) {
	publicACL := []inventory.Grant{{GranteeType: "Group", GranteeURI: granteeAllUsers, Permission: "READ"}}
	publicPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}]}`
	tests := []struct {
		name      string
		acl       []inventory.Grant
		policy    string
		bucketPAB *inventory.PublicAccessBlock
		acctPAB   *inventory.PublicAccessBlock
		ownership string
		wantTech  string // "" = not public
	}{
		{"public ACL without PAB", publicACL, "", nil, nil, "", TechS3PublicACL},
		{"public ACL ignored by bucket PAB", publicACL, "", &inventory.PublicAccessBlock{IgnorePublicACLs: true}, nil, "", ""},
		{"public ACL ignored by account PAB", publicACL, "", nil, &inventory.PublicAccessBlock{IgnorePublicACLs: true}, "", ""},
		{"ACLs disabled by object ownership", publicACL, "", nil, nil, "BucketOwnerEnforced", ""},
		{"public policy without PAB", nil, publicPolicy, nil, nil, "", TechS3PublicPolicy},
		{"public policy restricted by RestrictPublicBuckets", nil, publicPolicy, &inventory.PublicAccessBlock{RestrictPublicBuckets: true}, nil, "", ""},
		{"public policy is unaffected by IgnorePublicAcls", nil, publicPolicy, &inventory.PublicAccessBlock{IgnorePublicACLs: true}, nil, "", TechS3PublicPolicy},
		{"private bucket", nil, "", nil, nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			b := &inv.S3[0]
			b.ACL, b.Policy, b.PublicAccessBlock, b.ObjectOwnership = tc.acl, tc.policy, tc.bucketPAB, tc.ownership
			inv.S3AccountPublicAccessBlock = tc.acctPAB
			p := build(t, inv, Options{})
			var reads []*graph.Edge
			for i := range p.Edges {
				if e := &p.Edges[i]; e.From == AnonymousID && e.To == bucketARN && e.Kind == graph.EdgeReads {
					reads = append(reads, e)
				}
			}
			if tc.wantTech == "" {
				if len(reads) > 0 || hasFinding(p, RuleS3PublicRead, bucketARN) {
					t.Fatalf("bucket public: %+v", reads)
				}
				return
			}
			if len(reads) != 1 || reads[0].Technique != tc.wantTech {
				t.Fatalf("anonymous reads = %+v, want one via %s", reads, tc.wantTech)
			}
			if !slices.Contains(reads[0].Findings, graph.FindingID(RuleS3PublicRead, bucketARN)) ||
				!slices.Contains(reads[0].Findings, graph.FindingID(RuleS3BucketPAB, bucketARN)) {
				t.Errorf("public read cites %v; want the public-read and bucket-PAB findings", reads[0].Findings)
			}
			if n := findNode(p, AnonymousID); n == nil || !n.IsAnonymous() {
				t.Errorf("anonymous node = %+v", n)
			}
		})
	}
}

func TestSensitivityFromTags(t *testing.T) {
	tests := []struct {
		tags inventory.Tags
		opts Options
		want graph.Sensitivity
	}{
		{inventory.Tags{"data-classification": "restricted"}, Options{}, graph.SensitivityRestricted},
		{inventory.Tags{"Classification": "Highly-Confidential"}, Options{}, graph.SensitivityRestricted},
		{inventory.Tags{"sensitivity": "secret"}, Options{}, graph.SensitivityRestricted},
		{inventory.Tags{"pii": "true"}, Options{}, graph.SensitivityConfidential},
		{inventory.Tags{"pii": "false"}, Options{}, graph.SensitivityNone},
		{inventory.Tags{"confidentiality": "internal"}, Options{}, graph.SensitivityInternal},
		{inventory.Tags{"data-classification": "public", "pii": "yes"}, Options{}, graph.SensitivityConfidential},
		{inventory.Tags{"owner": "restricted"}, Options{}, graph.SensitivityNone},
		{inventory.Tags{"tier": "gold"}, Options{SensitivityKeys: []string{"tier"}, SensitivityValues: map[string]graph.Sensitivity{"gold": graph.SensitivityRestricted}}, graph.SensitivityRestricted},
		{inventory.Tags{"data-classification": "restricted"}, Options{SensitivityKeys: []string{"tier"}}, graph.SensitivityNone},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSpace(strings.ReplaceAll(tagString(tc.tags), "\n", " ")), func(t *testing.T) {
			inv := fixture()
			inv.S3[0].Tags = tc.tags
			p := build(t, inv, tc.opts)
			if got := findNode(p, bucketARN).Sensitivity; got != tc.want {
				t.Errorf("sensitivity = %v, want %v", got, tc.want)
			}
		})
	}
}

func tagString(t inventory.Tags) string {
	var s []string
	for k, v := range t {
		s = append(s, k+"="+v)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func TestSensitivityRules(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	keyARN := "arn:aws:kms:" + region + ":" + acct + ":key/k1"
	otherKey := "arn:aws:kms:" + region + ":" + acct + ":key/k2"
	r.KMSKeys = []inventory.KMSKey{{ID: "k1", ARN: keyARN, Aliases: []string{"alias/db"}}, {ID: "k2", ARN: otherKey}}
	r.DBInstances[0].KMSKeyID = "alias/db"
	snapARN := "arn:aws:rds:" + region + ":" + acct + ":snapshot:orders-1"
	r.DBSnapshots = []inventory.DBSnapshot{{ID: "orders-1", ARN: snapARN, Source: "orders", Public: true}}
	secretARN := "arn:aws:secretsmanager:" + region + ":" + acct + ":secret:db-AbCdEf"
	r.Secrets = []inventory.Secret{{ARN: secretARN, Name: "db"}}
	r.Queues = []inventory.Queue{{ARN: "arn:aws:sqs:" + region + ":" + acct + ":q", Name: "q", KMSMasterKeyID: "k2"}}
	inv.S3[0].Versioning = ""
	p := build(t, inv, Options{})

	if n := findNode(p, snapARN); n.Sensitivity != graph.SensitivityConfidential {
		t.Errorf("snapshot sensitivity = %v, want its source's (confidential)", n.Sensitivity)
	}
	if findEdge(p, AnonymousID, "READS", snapARN) == nil || !hasFinding(p, RuleRDSSnapshotPublic, snapARN) {
		t.Error("public snapshot: no anonymous read or RDS.1 finding")
	}
	if n := findNode(p, keyARN); !n.CrownJewel {
		t.Error("key encrypting a confidential database is not a crown jewel")
	}
	if n := findNode(p, otherKey); n.CrownJewel {
		t.Error("key encrypting an unclassified queue is a crown jewel")
	}
	if n := findNode(p, secretARN); !n.CrownJewel || n.Sensitivity < graph.SensitivityConfidential {
		t.Errorf("secret = %+v, want crown jewel at least confidential", n)
	}
	if !hasFinding(p, RuleS3Versioning, bucketARN) {
		t.Error("restricted bucket without versioning has no finding")
	}
}

func TestFindingsCarryControlsAndRemediation(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-def", Name: "default", VPCID: "vpc-1",
		Ingress: []inventory.SGRule{{Protocol: "-1", GroupRefs: []inventory.SGRef{{GroupID: "sg-def"}}}}})
	r.DBInstances[0].StorageEncrypted = false
	r.DBInstances[0].PubliclyAccessible = true
	r.Snapshots = []inventory.EBSSnapshot{{ID: "snap-1", Public: true}}
	r.Images = []inventory.AMI{{ID: "ami-1", Public: true}}
	inv.S3AccountPublicAccessBlock = nil
	inv.S3[0].PublicAccessBlock = nil
	p := build(t, inv, Options{})
	want := map[string][]string{
		RuleSGAdminPorts:      {"CIS-AWS-3.0:5.2", "AWS-FSBP:EC2.13", "AWS-FSBP:EC2.53"},
		RuleDefaultSG:         {"CIS-AWS-3.0:5.4", "AWS-FSBP:EC2.2"},
		RuleNACLAdminPorts:    {"CIS-AWS-3.0:5.1", "AWS-FSBP:EC2.21"},
		RuleIMDSv1:            {"CIS-AWS-3.0:5.6", "AWS-FSBP:EC2.8"},
		RuleRDSUnencrypted:    {"CIS-AWS-3.0:2.3.1", "AWS-FSBP:RDS.3"},
		RuleRDSPublic:         {"AWS-FSBP:RDS.2"},
		RuleEBSSnapshotPublic: {"AWS-FSBP:EC2.1"},
		RuleS3AccountPAB:      {"AWS-FSBP:S3.1"},
		RuleS3BucketPAB:       {"AWS-FSBP:S3.8"},
		RuleAMIPublic:         nil,
	}
	for ruleID, controls := range want {
		var f *graph.Finding
		for i := range p.Findings {
			if p.Findings[i].RuleID == ruleID {
				f = &p.Findings[i]
			}
		}
		if f == nil {
			t.Errorf("no %s finding", ruleID)
			continue
		}
		for _, c := range controls {
			if !slices.Contains(f.Controls, c) {
				t.Errorf("%s controls %v lack %s", ruleID, f.Controls, c)
			}
		}
		if f.Remediation == "" || f.Evidence == "" || f.Title == "" || f.FixEffort <= 0 {
			t.Errorf("%s incomplete: %+v", ruleID, f)
		}
	}
}

func TestBuildRejectsUnusableInput(t *testing.T) {
	if _, err := Build(context.Background(), nil, Options{}); err == nil {
		t.Error("nil inventory accepted")
	}
	if _, err := Build(context.Background(), &inventory.Inventory{}, Options{}); err == nil || !strings.Contains(err.Error(), "account") {
		t.Errorf("missing account id: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, fixture(), Options{}); err == nil {
		t.Error("cancelled context ignored")
	}
}

func TestDanglingReferencesAreSkipped(t *testing.T) {
	inv := fixture()
	r := inv.Regional[region]
	r.Instances[0].SubnetID = "subnet-gone"
	r.Instances[0].SecurityGroupIDs = []string{"sg-gone"}
	r.DBInstances[0].KMSKeyID = "arn:aws:kms:us-east-1:111122223333:key/gone"
	r.DBSnapshots = []inventory.DBSnapshot{{ID: "s", ARN: "arn:aws:rds:us-east-1:111122223333:snapshot:s", Source: "gone"}}
	r.RouteTables[1].Routes = append(r.RouteTables[1].Routes, inventory.Route{DestinationCIDR: "1.0.0.0/8", GatewayID: "igw-gone"})
	build(t, inv, Options{}) // validates: no dangling edge
}

func TestBuildIsDeterministic(t *testing.T) {
	a := build(t, fixture(), Options{})
	b := build(t, fixture(), Options{})
	if len(a.Edges) != len(b.Edges) || len(a.Nodes) != len(b.Nodes) {
		t.Fatal("different sizes")
	}
	for i := range a.Edges {
		if a.Edges[i].Key() != b.Edges[i].Key() {
			t.Fatalf("edge %d differs: %s vs %s", i, a.Edges[i].Key(), b.Edges[i].Key())
		}
	}
}
