package main

import (
	"encoding/json"
	"fmt"
	"github.com/breachpath/breachpath/graph/safetext/csvcell"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/queries"
)

// queryCommand runs the saved analyst queries of package queries.
func (a *app) queryCommand() *cobra.Command {
	var (
		sf     scopeFlags
		params []string
		format string
		list   bool
		cypher bool
	)
	cmd := &cobra.Command{
		Use:   "query NAME [--param key=value ...]",
		Short: "Run a saved analyst query (--list shows them)",
		Long: `Run one of the saved analyst questions over the stored graph and print a table.

  breachpath query --list                          names, titles and parameters
  breachpath query public-sensitive-data --param threshold=restricted
  breachpath query sensitive-reachable-from --param from=arn:aws:ec2:... --format json
  breachpath query shadow-admins --cypher          the equivalent Cypher for Neo4j Browser

docs/queries.md describes every query, its parameters and its Cypher.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "json", "csv":
			default:
				return usageErrorf("--format %q: want table, json or csv", format)
			}
			if list {
				if len(args) > 0 || cypher {
					return usageErrorf("--list takes no query name and no --cypher")
				}
				return a.printQueryList(format)
			}
			if len(args) == 0 {
				return usageErrorf("query: name a query (breachpath query --list shows them)")
			}
			q, ok := queries.Get(args[0])
			if !ok {
				return usageErrorf("query %q: no such query (breachpath query --list shows them)", args[0])
			}
			values, err := parseParams(params)
			if err != nil {
				return err
			}
			if _, err := q.Bind(values); err != nil {
				return usageErrorf("%v", err)
			}
			if cypher {
				return a.printCypher(q, values)
			}
			filter, err := sf.filter()
			if err != nil {
				return err
			}
			g, err := a.loadGraph(cmd.Context(), filter)
			if err != nil {
				return err
			}
			res, err := q.Run(cmd.Context(), g, values)
			if err != nil {
				return err
			}
			return writeResult(a.stdout, res, format)
		},
	}
	sf.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&params, "param", nil, "query parameter as key=value; repeatable")
	f.StringVar(&format, "format", "table", "output format: table, json or csv")
	f.BoolVar(&list, "list", false, "list the queries with their descriptions and parameters")
	f.BoolVar(&cypher, "cypher", false, "print the query's Cypher and its parameters instead of running it")
	return cmd
}

// parseParams turns key=value flags into raw parameter values; queries
// parse and validate them.
func parseParams(kvs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usageErrorf("--param %q: want key=value", kv)
		}
		if _, dup := out[k]; dup {
			return nil, usageErrorf("--param %s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func (a *app) printQueryList(format string) error {
	all := queries.All()
	switch format {
	case "json":
		type entry struct {
			Name        string          `json:"name"`
			Title       string          `json:"title"`
			Description string          `json:"description"`
			Params      []queries.Param `json:"params"`
			Columns     []string        `json:"columns"`
		}
		out := make([]entry, len(all))
		for i, q := range all {
			out[i] = entry{q.Name, q.Title, q.Description, q.Params, q.Columns}
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		w := csvcell.NewWriter(a.stdout)
		_ = w.Write([]string{"name", "title", "params"})
		for _, q := range all {
			_ = w.Write([]string{q.Name, q.Title, paramSummary(q)})
		}
		w.Flush()
		return w.Error()
	}
	t := termcell.NewTable(a.stdout, "NAME", "TITLE", "PARAMETERS").Wide(1, 80).Wide(2, 80)
	for _, q := range all {
		t.Row(q.Name, q.Title, paramSummary(q))
	}
	return t.Flush()
}

func paramSummary(q queries.Query) string {
	if len(q.Params) == 0 {
		return "-"
	}
	parts := make([]string, len(q.Params))
	for i, p := range q.Params {
		if p.Required {
			parts[i] = p.Name + " (required)"
		} else {
			parts[i] = fmt.Sprintf("%s=%v", p.Name, p.Default)
		}
	}
	return strings.Join(parts, " ")
}

// printCypher prints the Cypher preceded by Neo4j Browser :param lines
// holding the bound values, so the output pastes into the Browser as is.
func (a *app) printCypher(q queries.Query, values map[string]any) error {
	cp, err := q.CypherParams(values, "")
	if err != nil {
		return usageErrorf("%v", err)
	}
	names := []string{"ns"}
	for _, p := range q.Params {
		names = append(names, p.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// %s: %s\n", q.Name, q.Title)
	for _, n := range names {
		v, err := json.Marshal(cp[n])
		if err != nil {
			return fmt.Errorf("encode parameter %s: %w", n, err)
		}
		fmt.Fprintf(&b, ":param %s => %s\n", n, v)
	}
	b.WriteString(q.Cypher)
	b.WriteString("\n")
	_, err = io.WriteString(a.stdout, b.String())
	return err
}

// writeResult prints a query result as an aligned table, JSON or CSV.
func writeResult(w io.Writer, res *queries.Result, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "csv":
		cw := csvcell.NewWriter(w) // the spreadsheet rule: no cell reads as a formula
		if err := cw.Write(res.Columns); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		for _, r := range res.Rows {
			if err := cw.Write(cells(r, "")); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		cw.Flush()
		return cw.Error()
	}
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = strings.ToUpper(c)
	}
	// the terminal rule: every cell escaped and cut (graph/safetext/termcell)
	t := termcell.NewTable(w, header...)
	for _, r := range res.Rows {
		t.Row(cells(r, "-")...)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d rows\n", len(res.Rows))
	return err
}

// cells renders row values as text; null becomes empty (a dash in tables).
func cells(row []any, null string) []string {
	out := make([]string, len(row))
	for i, v := range row {
		switch x := v.(type) {
		case nil:
			out[i] = null
		case []string:
			out[i] = strings.Join(x, ",")
		default:
			out[i] = fmt.Sprint(x)
		}
	}
	return out
}
