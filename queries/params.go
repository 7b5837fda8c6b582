package queries

import (
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// ParamType is the type of a query parameter.
type ParamType string

// Parameter types. Sensitivities and severities travel by name (to Cypher
// too), so that a Neo4j Browser user writes :param threshold => 'restricted'.
const (
	TypeInt         ParamType = "int"
	TypeString      ParamType = "string"
	TypeNodeID      ParamType = "node-id"
	TypeSensitivity ParamType = "sensitivity"
	TypeSeverity    ParamType = "severity"
)

// Param describes one parameter of a query.
type Param struct {
	Name        string    `json:"name"`
	Type        ParamType `json:"type"`
	Default     any       `json:"default,omitempty"`
	Required    bool      `json:"required,omitempty"`
	Description string    `json:"description"`
	// Min and Max bound an int parameter (inclusive).
	Min int64 `json:"min,omitempty"`
	Max int64 `json:"max,omitempty"`
	// MinSensitivity is the lowest level a sensitivity parameter accepts.
	MinSensitivity graph.Sensitivity `json:"-"`
}

// parse converts a raw value (native or its string form) to the
// parameter's canonical value: int64, string, or a level name.
func (p Param) parse(raw any) (any, error) {
	switch p.Type {
	case TypeInt:
		var n int64
		switch x := raw.(type) {
		case int:
			n = int64(x)
		case int64:
			n = x
		case float64: // JSON numbers
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("%v is not an integer", x)
			}
			n = int64(x)
		case string:
			v, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", x)
			}
			n = v
		default:
			return nil, fmt.Errorf("%v (%T) is not an integer", raw, raw)
		}
		if n < p.Min || n > p.Max {
			return nil, fmt.Errorf("%d out of range %d..%d", n, p.Min, p.Max)
		}
		return n, nil
	case TypeString, TypeNodeID:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("%v (%T) is not a string", raw, raw)
		}
		if s == "" {
			return nil, fmt.Errorf("must not be empty")
		}
		return s, nil
	case TypeSensitivity:
		s, err := levelName(raw)
		if err != nil {
			return nil, err
		}
		lvl, err := graph.ParseSensitivity(s)
		if err != nil {
			return nil, err
		}
		if lvl < p.MinSensitivity {
			return nil, fmt.Errorf("%s is below the lowest accepted level %s", lvl, p.MinSensitivity)
		}
		return lvl.String(), nil
	case TypeSeverity:
		s, err := levelName(raw)
		if err != nil {
			return nil, err
		}
		sev, err := graph.ParseSeverity(s)
		if err != nil {
			return nil, err
		}
		return sev.String(), nil
	}
	return nil, fmt.Errorf("unknown parameter type %q", p.Type)
}

func levelName(raw any) (string, error) {
	switch x := raw.(type) {
	case string:
		return strings.ToLower(strings.TrimSpace(x)), nil
	case graph.Sensitivity:
		return x.String(), nil
	case graph.Severity:
		return x.String(), nil
	}
	return "", fmt.Errorf("%v (%T) is not a level name", raw, raw)
}

// Values are bound parameters: every parameter of the query, validated,
// defaults filled in.
type Values map[string]any

// Map returns a copy of the values as a plain map.
func (v Values) Map() map[string]any { return maps.Clone(map[string]any(v)) }

// Int returns an int parameter.
func (v Values) Int(name string) int { return int(v[name].(int64)) }

// String returns a string or node-id parameter.
func (v Values) String(name string) string { return v[name].(string) }

// Sensitivity returns a sensitivity parameter.
func (v Values) Sensitivity(name string) graph.Sensitivity {
	s, _ := graph.ParseSensitivity(v[name].(string)) // validated by Bind
	return s
}

// Severity returns a severity parameter.
func (v Values) Severity(name string) graph.Severity {
	s, _ := graph.ParseSeverity(v[name].(string)) // validated by Bind
	return s
}

// Shared parameter definitions, so that the same name means the same
// thing in every query.
func thresholdParam() Param {
	return Param{Name: "threshold", Type: TypeSensitivity, Default: "confidential", MinSensitivity: graph.SensitivityPublic,
		Description: "lowest data sensitivity that counts as sensitive: public, internal, confidential or restricted"}
}

func maxHopsParam(def int64, what string) Param {
	return Param{Name: "max_hops", Type: TypeInt, Default: def, Min: 1, Max: 16,
		Description: "most attacker moves " + what}
}
