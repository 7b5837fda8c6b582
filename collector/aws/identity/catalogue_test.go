package identity

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// TestCatalogueNamesEveryEmittedRule reads the package's own source: every
// graph.Finding literal's RuleID must be a constant the catalogue lists, or
// the per-technique id PrivescRuleID, so a new rule cannot be emitted
// without entering the registry the compliance mappings are checked against.
func TestCatalogueNamesEveryEmittedRule(t *testing.T) {
	listed := map[string]bool{}
	for _, r := range Catalogue() {
		if err := graph.ValidateRule(r); err != nil {
			t.Error(err)
		}
		listed[r.ID] = true
	}
	consts := map[string]string{
		"RuleConsoleWithoutMFA": RuleConsoleWithoutMFA, "RuleKeyNotRotated": RuleKeyNotRotated,
		"RuleCredentialsUnused": RuleCredentialsUnused, "RuleRootAccessKeys": RuleRootAccessKeys,
		"RuleRootWithoutMFA": RuleRootWithoutMFA, "RuleFullAdminPolicy": RuleFullAdminPolicy,
		"RulePasswordLength": RulePasswordLength, "RulePasswordReuse": RulePasswordReuse,
		"RuleNoPasswordPolicy": RuleNoPasswordPolicy, "RuleMultipleActiveKeys": RuleMultipleActiveKeys,
		"RuleUserDirectPolicies": RuleUserDirectPolicies, "RuleRoleTrustsAnyone": RuleRoleTrustsAnyone,
		"RuleRoleTrustsNoExternalID": RuleRoleTrustsNoExternalID, "RuleRoleTrustsOIDCUnscoped": RuleRoleTrustsOIDCUnscoped,
		"RulePublicResourcePolicy": RulePublicResourcePolicy, "RuleCrossAccountResource": RuleCrossAccountResource, "RuleABACRetag": RuleABACRetag,
		"RuleQueueDrivesFunction": RuleQueueDrivesFunction,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "RuleID" {
				return true
			}
			seen++
			switch v := kv.Value.(type) {
			case *ast.Ident:
				id, known := consts[v.Name]
				if !known {
					t.Errorf("%s: RuleID %s is not a constant this test knows", fset.Position(v.Pos()), v.Name)
				} else if !listed[id] {
					t.Errorf("%s: rule %s is emitted but missing from Catalogue", fset.Position(v.Pos()), id)
				}
			case *ast.CallExpr:
				if fn, ok := v.Fun.(*ast.Ident); !ok || fn.Name != "PrivescRuleID" {
					t.Errorf("%s: RuleID computed by an expression the catalogue does not cover", fset.Position(v.Pos()))
				}
			default:
				t.Errorf("%s: RuleID set by an expression the catalogue does not cover", fset.Position(kv.Pos()))
			}
			return true
		})
	}
	if seen < len(consts) {
		t.Fatalf("found %d RuleID fields in the source; expected at least %d", seen, len(consts))
	}
	for _, tq := range Techniques {
		if !listed[PrivescRuleID(tq)] {
			t.Errorf("technique %s has no catalogue entry", tq.ID)
		}
	}
}
