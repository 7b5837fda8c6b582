package gcptest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// ExportNDJSON renders assets as a `gcloud asset export` file does:
// one asset per line, snake_case keys (resource data keeps the service's
// own camelCase).
func ExportNDJSON(assets []*inventory.Asset) ([]byte, error) {
	var buf bytes.Buffer
	for _, a := range assets {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		out, err := json.Marshal(snakeKeys(m, true))
		if err != nil {
			return nil, err
		}
		buf.Write(out)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// WriteExport writes the lab as two export files (resource and
// iam-policy content) into dir and returns their paths.
func WriteExport(dir string, v Variant) ([]string, error) {
	resources, policies := Lab(v)
	var paths []string
	for name, assets := range map[string][]*inventory.Asset{"resource.json": resources, "iam-policy.json": policies} {
		b, err := ExportNDJSON(assets)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	act, err := json.Marshal(KeyActivities())
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "key-activity.json")
	if err := os.WriteFile(p, act, 0o600); err != nil {
		return nil, err
	}
	paths = append(paths, p)
	if deny := LabDenyPolicies(v); len(deny) > 0 {
		// gcloud iam policies get ... --kind=denypolicies --format=json,
		// several collected into one array.
		b, err := json.Marshal(deny)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, "deny-policies.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func snakeKeys(v any, top bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			if top && k == "resource" {
				if rm, ok := val.(map[string]any); ok {
					res := map[string]any{}
					for rk, rv := range rm {
						if rk == "data" {
							res[rk] = rv
						} else {
							res[snake(rk)] = snakeKeys(rv, false)
						}
					}
					out[k] = res
					continue
				}
			}
			out[snake(k)] = snakeKeys(val, false)
		}
		return out
	case []any:
		for i := range t {
			t[i] = snakeKeys(t[i], false)
		}
	}
	return v
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
