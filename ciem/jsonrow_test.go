package ciem

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// randomPrincipal fills every field of a row, each often at its zero value
// (so that omitempty and omitzero are exercised), with strings that must be
// escaped, floats in both of encoding/json's formats, nil against empty
// lists, and the nested documents the hand encoder leaves to encoding/json.
func randomPrincipal(r *rand.Rand) Principal {
	pieces := []string{"arn:aws:iam::1:role/a", `"`, `\`, "<b>&", "\n\t\x01", "é✓", "\u2028", "\xff", " ", "plain"}
	str := func() string {
		if r.IntN(4) == 0 {
			return ""
		}
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	strs := func() []string {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	num := func() float64 {
		return []float64{0, 1, 0.5, 12.3, 100, 1e-7, 3e21, -2.5, math.Copysign(0, -1), 1.0 / 3}[r.IntN(10)]
	}
	tm := func() time.Time {
		if r.IntN(2) == 0 {
			return time.Time{}
		}
		return time.Date(2026, 11, 1+r.IntN(28), r.IntN(24), 0, 0, r.IntN(3)*500_000_000, time.UTC)
	}
	bit := func() bool { return r.IntN(2) == 0 }
	p := Principal{ID: str(), Name: str(), Kind: graph.Kind(str()), NativeType: str(), Cloud: graph.Cloud(str()), Account: str(),
		Score: num(), ScoreParts: ScoreBreakdown{num(), num(), num(), num(), num()}, AttackPaths: strs(),
		EntitlementsKnown: bit(), Members: r.IntN(3), SuggestionReason: str(), Notes: strs()}
	if bit() {
		p.Permissions = PermissionView{Total: r.IntN(9), Sensitive: r.IntN(3), Levels: map[entitlement.AccessLevel]int{entitlement.LevelRead: 2, entitlement.LevelWrite: 1},
			Services: []ServiceView{{Service: str(), State: StateUsed, LastAccessed: tm(), UnusedActions: strs(), Sources: []entitlement.Source{{Policy: str()}}}}}
	}
	if bit() {
		p.Sources = []entitlement.Source{{Kind: entitlement.SourceIdentity, Policy: str(), PolicyName: str()}}
	}
	if bit() {
		p.Wildcards = []entitlement.Wildcard{{Statement: str()}}
	}
	for range r.IntN(4) {
		res := ResourceAccess{ID: str(), Name: str(), Kind: graph.Kind(str()), Sensitivity: graph.Sensitivity(r.IntN(5)), CrownJewel: bit(),
			Via: strs(), Conditional: bit()}
		switch r.IntN(3) {
		case 0:
			res.Access = []graph.EdgeKind{graph.EdgeReads, graph.EdgeWrites}
		case 1:
			res.Access = []graph.EdgeKind{}
		}
		p.Resources = append(p.Resources, res)
	}
	if len(p.Resources) > 0 && bit() {
		p.SensitiveData = p.Resources[:1]
	} else if bit() {
		p.Resources = []ResourceAccess{} // empty, not nil: omitted all the same
	}
	p.Admin = AdminStatus{Direct: bit(), ViaEscalation: bit(), Conditional: bit(), Path: strs(), Escalations: strs()}
	p.Usage = UsageSummary{Known: bit(), Reason: str(), Source: str(), UsedServices: strs(), UnusedServices: strs(), UnusedActions: r.IntN(5), UnusedSensitive: r.IntN(5)}
	p.Activity = Activity{State: str(), LastActivity: tm(), Reason: str()}
	if bit() {
		p.Dormant = []CredentialRow{{Kind: "access_key", ID: str(), Created: tm(), LastUsed: tm(), Reason: str()}}
	}
	if bit() {
		p.Trust = []Trust{{Kind: TrustPublic, Principal: str(), CanAssume: bit()}}
	}
	if bit() {
		p.Suggestion = &entitlement.Suggestion{Policy: str(), Actions: strs(), Removed: r.IntN(4), Replaces: []entitlement.Replaced{{Grant: str(), On: str()}}}
	}
	return p
}

// TestHandEncoderIsMarshalIndent: a row written by appendPrincipal is, byte
// for byte, what json.MarshalIndent writes for it at the report's indent,
// over random rows and over every row of the synthetic estate's report.
func TestHandEncoderIsMarshalIndent(t *testing.T) {
	check := func(t *testing.T, p *Principal) {
		t.Helper()
		for _, pi := range [][2]string{{"    ", "  "}, {"", "\t"}} {
			want, err := json.MarshalIndent(p, pi[0], pi[1])
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendPrincipal([]byte("kept"), p, pi[0], pi[1])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append([]byte("kept"), want...)) {
				t.Fatalf("hand encoder differs from MarshalIndent (prefix %q):\n got %s\nwant %s", pi[0], got[4:], want)
			}
		}
	}
	t.Run("random rows", func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for range 3000 {
			p := randomPrincipal(r)
			check(t, &p)
		}
	})
	t.Run("synthetic estate report", func(t *testing.T) {
		est, err := synthetic.Generate(t.Context(), synthetic.Options{Seed: 7, Resources: 3000})
		if err != nil {
			t.Fatal(err)
		}
		g := est.Graph()
		rep, err := Build(t.Context(), g, Sources{}, Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rep.Principals {
			check(t, &rep.Principals[i])
		}
	})
}

// TestHandEncoderRefusesWhatEncodingJSONRefuses: values encoding/json
// cannot write fail the hand encoder too, rather than writing something.
func TestHandEncoderRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for name, p := range map[string]Principal{
		"NaN score":           {ID: "a", Score: math.NaN()},
		"infinite extra":      {ID: "a", ScoreParts: ScoreBreakdown{Extras: math.Inf(1)}},
		"invalid sensitivity": {ID: "a", Resources: []ResourceAccess{{ID: "r", Sensitivity: graph.Sensitivity(42)}}},
		"year out of range":   {ID: "a", Activity: Activity{LastActivity: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := json.Marshal(&p); err == nil {
				t.Fatal("encoding/json accepts it: the case tests nothing")
			}
			if _, err := appendPrincipal(nil, &p, "", "  "); err == nil {
				t.Fatal("hand encoder wrote a row encoding/json refuses")
			}
		})
	}
}

// TestHandEncoderKnowsEveryField fails when a field is added to a type the
// hand encoder writes member by member: the new field must be added to
// appendPrincipal (and to randomPrincipal) before this passes.
func TestHandEncoderKnowsEveryField(t *testing.T) {
	for _, tc := range []struct {
		v    any
		tags []string
	}{
		{Principal{}, []string{"id", "name", "kind", "native_type,omitempty", "cloud,omitempty", "account,omitempty", "score", "score_parts",
			"attack_paths,omitempty", "entitlements_known", "permissions", "sources,omitempty", "wildcards,omitempty", "resources,omitempty",
			"sensitive_data,omitempty", "admin", "usage", "activity", "dormant_credentials,omitempty", "trust,omitempty", "members,omitempty",
			"suggestion,omitempty", "suggestion_reason,omitempty", "notes,omitempty"}},
		{ScoreBreakdown{}, []string{"unused_sensitive", "base", "data_weight", "escalation_weight", "extras"}},
		{ResourceAccess{}, []string{"id", "name,omitempty", "kind", "sensitivity", "crown_jewel,omitempty", "access", "via,omitempty", "conditional,omitempty"}},
		{AdminStatus{}, []string{"direct", "via_escalation", "conditional,omitempty", "path,omitempty", "escalations,omitempty"}},
		{UsageSummary{}, []string{"known", "reason,omitempty", "source,omitempty", "used_services,omitempty", "unused_services,omitempty", "unused_actions", "unused_sensitive"}},
		{Activity{}, []string{"state", "last_activity,omitzero", "reason,omitempty"}},
	} {
		typ := reflect.TypeOf(tc.v)
		var tags []string
		for i := range typ.NumField() {
			tags = append(tags, typ.Field(i).Tag.Get("json"))
		}
		if !slices.Equal(tags, tc.tags) {
			t.Errorf("%s's fields changed: update appendPrincipal and this test\n got %q\nwant %q", typ.Name(), tags, tc.tags)
		}
		for _, m := range []string{"MarshalJSON", "MarshalText"} {
			if _, ok := reflect.PointerTo(typ).MethodByName(m); ok {
				t.Errorf("%s has %s: the hand encoder does not call it", typ.Name(), m)
			}
		}
	}
}

// TestStringsQuoteAsEncodingJSONQuotes: every byte value, alone and inside
// plain text, and multi-byte text (valid, invalid, the line separators
// encoding/json escapes) quote as json.Marshal quotes them.
func TestStringsQuoteAsEncodingJSONQuotes(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "arn:aws:s3:::a"+string([]byte{byte(c)})+"b")
	}
	cases = append(cases, "", "é✓", "\u2028\u2029", "\xff\xfe", "a\x7fb", "https://x.example/a?b=c&d=<e>")
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
