package graph

import "github.com/breachpath/breachpath/graph/secrets"

// RedactSecrets removes secret values from the snapshot in place, before
// any store, export file or API sees them: every tag value, string and
// string-list property whose key names a secret or whose value holds one
// (graph/secrets decides), and the secret parts of names, edge evidence and
// finding evidence. A removed value becomes "[redacted:<kind>]"; running it
// again changes nothing. It returns how many values it changed.
//
// Stores call it through CheckSync, and snapshot files are redacted when
// they are read and written, so a collector that forgets is still covered
// (docs/security.md).
func (s *Snapshot) RedactSecrets() int {
	var sc secrets.Scrubber
	n := 0
	for i := range s.Nodes {
		n += RedactNode(&s.Nodes[i], &sc)
	}
	for i := range s.Edges {
		n += RedactEdge(&s.Edges[i], &sc)
	}
	for i := range s.Findings {
		n += RedactFinding(&s.Findings[i], &sc)
	}
	return n
}

// RedactNode removes secret values from one node (see
// Snapshot.RedactSecrets); sc may be shared across calls of one goroutine.
// Maps are replaced, not changed in place, when a value goes, so a node
// that shares its maps with another copy does not change the other copy.
func RedactNode(n *Node, sc *secrets.Scrubber) int {
	c := 0
	if v, _, ok := sc.Value("name", n.Name); ok {
		n.Name = v
		c++
	}
	n.Tags, c = redactTags(n.Tags, sc, c)
	n.Props, c = redactProps(n.Props, sc, c)
	return c
}

// RedactEdge removes secret values from one edge's evidence and props.
func RedactEdge(e *Edge, sc *secrets.Scrubber) int {
	c := 0
	e.Evidence, c = redactList("evidence", e.Evidence, sc, c)
	e.Props, c = redactProps(e.Props, sc, c)
	return c
}

// RedactFinding removes secret values from one finding's texts.
func RedactFinding(f *Finding, sc *secrets.Scrubber) int {
	c := 0
	for _, p := range []*string{&f.Title, &f.Evidence, &f.Remediation} {
		if v, _, ok := sc.Value("evidence", *p); ok {
			*p = v
			c++
		}
	}
	return c
}

func redactTags(t map[string]string, sc *secrets.Scrubber, c int) (map[string]string, int) {
	var out map[string]string
	for k, v := range t {
		r, _, ok := sc.Value(k, v)
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(t))
			for k2, v2 := range t {
				out[k2] = v2
			}
		}
		out[k] = r
		c++
	}
	if out == nil {
		return t, c
	}
	return out, c
}

func redactProps(p Props, sc *secrets.Scrubber, c int) (Props, int) {
	var out Props
	set := func(k string, v any) {
		if out == nil {
			out = make(Props, len(p))
			for k2, v2 := range p {
				out[k2] = v2
			}
		}
		out[k] = v
		c++
	}
	for k, v := range p {
		switch x := v.(type) {
		case string:
			if r, _, ok := sc.Value(k, x); ok {
				set(k, r)
			}
		case []string:
			before := c
			var l []string
			l, c = redactList(k, x, sc, c)
			if c != before {
				c = before
				set(k, l)
			}
		}
	}
	if out == nil {
		return p, c
	}
	return out, c
}

// redactList returns the list with secret values replaced, a new slice
// when anything changed.
func redactList(key string, l []string, sc *secrets.Scrubber, c int) ([]string, int) {
	var out []string
	for i, v := range l {
		r, _, ok := sc.Value(key, v)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]string(nil), l...)
		}
		out[i] = r
		c++
	}
	if out == nil {
		return l, c
	}
	return out, c
}
