package blob

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/breachpath/breachpath/graph"
)

// Decoded is one scope's rows decoded from a blob, as a graph.Part: nodes,
// move edges, fact edges (unless skipped) and findings, each sorted.
type Decoded struct {
	graph.Part
	// Moves is the number of move edges (the first edge run).
	Moves int
}

// maxCount bounds every count read from a blob before it sizes an
// allocation: a damaged length must not make the decoder ask for terabytes.
// No count can exceed the blob's length (every row takes at least a byte).

// Check verifies the blob's magic, version and checksum without decoding it.
func Check(b []byte) error {
	if len(b) < len(magic)+1+4 || string(b[:len(magic)]) != magic {
		return fmt.Errorf("%w: scope blob: not a scope blob", graph.ErrCorrupt)
	}
	if v := b[len(magic)]; v != Version {
		return fmt.Errorf("%w: scope blob: format version %d, this breachpath reads %d", graph.ErrCorrupt, v, Version)
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return fmt.Errorf("%w: scope blob: checksum mismatch (damaged)", graph.ErrCorrupt)
	}
	return nil
}

// Decode decodes a blob. Errors wrap graph.ErrCorrupt and read as one line.
func Decode(b []byte, opt Options) (*Decoded, error) {
	if err := Check(b); err != nil {
		return nil, err
	}
	d := &decoder{b: b[:len(b)-4], pos: len(magic) + 1, scratch: getScratch()}
	out, err := d.decode(opt)
	d.scratch.put()
	d.strs = nil
	if errors.Is(err, ErrWindow) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: scope blob: %v at byte %d", graph.ErrCorrupt, err, d.pos)
	}
	return out, nil
}

type decoder struct {
	b    []byte
	pos  int
	err  error
	strs []string // the string table, in scratch
	// scratch is reused from one decode to the next (scratchPool)
	scratch *scratch
	// tags and props hold the maps decoded so far, keyed by their encoded
	// bytes: most rows of a scope carry one of a few tag and property sets
	// (the 100k synthetic estate: 50 tag sets over 100k nodes), and a Go map
	// costs hundreds of bytes, so rows with equal bytes share one map. A
	// loaded graph is read-only (graph.Graph), and redaction replaces maps
	// rather than changing them, so sharing is invisible to readers.
	tags  map[string]map[string]string
	props map[string]graph.Props
}

// scratch is memory a decode needs only while it runs: the string table's
// headers (16 bytes a string, 48 MB over the million-resource estate's 400
// scopes). Decodes on the same core reuse it instead of leaving one table
// each as garbage.
type scratch struct{ table []string }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// strs returns n string slots, empty.
func (s *scratch) strs(n int) []string {
	if cap(s.table) < n {
		s.table = make([]string, n)
	}
	s.table = s.table[:n]
	return s.table
}

// put clears the slots (they reference the decoded text, which the rows
// own) and returns the scratch to the pool.
func (s *scratch) put() {
	clear(s.table)
	scratchPool.Put(s)
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
		d.pos = len(d.b) // stop every further read
	}
}

func (d *decoder) uv() uint64 {
	if d.pos < len(d.b) && d.b[d.pos] < 0x80 { // the common one-byte case
		v := uint64(d.b[d.pos])
		d.pos++
		return v
	}
	v, n := binary.Uvarint(d.b[d.pos:])
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.pos += n
	return v
}

func (d *decoder) sv() int64 {
	v, n := binary.Varint(d.b[d.pos:])
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.pos += n
	return v
}

// count reads a count and checks it against the bytes left, each counted
// item taking at least min bytes.
func (d *decoder) count(min int) int {
	v := d.uv()
	if v > uint64((len(d.b)-d.pos)/min) {
		d.fail("count %d larger than the blob", v)
		return 0
	}
	return int(v)
}

func (d *decoder) byte1() byte {
	if d.pos >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	c := d.b[d.pos]
	d.pos++
	return c
}

func (d *decoder) u64() uint64 {
	if len(d.b)-d.pos < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.pos:])
	d.pos += 8
	return v
}

func (d *decoder) str() string {
	r := d.uv()
	if r >= uint64(len(d.strs)) {
		d.fail("string reference %d out of range", r)
		return ""
	}
	return d.strs[r]
}

func (d *decoder) time() time.Time { return time.Unix(0, d.sv()).UTC() }

// arenaChunk is the number of strings of one arena allocation.
const arenaChunk = 4096

// strList reads a list of string references into the arena, returning a
// slice with its capacity clipped so that a caller's append copies. The
// arena is a chain of fixed chunks, not one growing slice: lists already
// returned keep their chunk, and growing by copying would leave a scope's
// every earlier copy (several times its evidence) as garbage.
func (d *decoder) strList(arena *[]string) []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	if cap(*arena)-len(*arena) < n {
		*arena = make([]string, 0, max(n, arenaChunk))
	}
	start := len(*arena)
	for range n {
		*arena = append(*arena, d.str())
	}
	return (*arena)[start:len(*arena):len(*arena)]
}

// sharedProps decodes a property map, returning the map of an earlier row
// with the same encoded bytes when there is one (see decoder.props).
func (d *decoder) sharedProps() graph.Props {
	start := d.pos
	d.skipProps()
	if d.err != nil {
		return nil
	}
	if d.pos == start+1 { // no properties: one zero byte
		return nil
	}
	if p, ok := d.props[string(d.b[start:d.pos])]; ok {
		return p
	}
	end := d.pos
	d.pos = start
	p := d.decodeProps()
	if d.err == nil {
		if d.props == nil {
			d.props = map[string]graph.Props{}
		}
		d.props[string(d.b[start:end])] = p
	}
	return p
}

// sharedTags decodes a node's tags, sharing maps like sharedProps.
func (d *decoder) sharedTags() map[string]string {
	start := d.pos
	t := d.count(2)
	if t == 0 {
		return nil
	}
	for range 2 * t {
		d.uv()
	}
	if d.err != nil {
		return nil
	}
	if m, ok := d.tags[string(d.b[start:d.pos])]; ok {
		return m
	}
	end := d.pos
	d.pos = start
	d.count(2)
	m := make(map[string]string, t)
	for range t {
		k := d.str()
		m[k] = d.str()
	}
	if d.err == nil {
		if d.tags == nil {
			d.tags = map[string]map[string]string{}
		}
		d.tags[string(d.b[start:end])] = m
	}
	return m
}

// skipProps reads past a property map.
func (d *decoder) skipProps() {
	for m := d.count(2); m > 0 && d.err == nil; m-- {
		d.uv() // key
		switch t := d.byte1(); t {
		case pString:
			d.uv()
		case pBool:
			d.byte1()
		case pInt:
			d.sv()
		case pFloat:
			d.u64()
		case pStrings:
			for k := d.count(1); k > 0; k-- {
				d.uv()
			}
		default:
			d.fail("property of unknown type %d", t)
		}
	}
}

func (d *decoder) decodeProps() graph.Props {
	n := d.count(2)
	if n == 0 {
		return nil
	}
	p := make(graph.Props, n)
	for range n {
		k := d.str()
		switch t := d.byte1(); t {
		case pString:
			p[k] = d.str()
		case pBool:
			p[k] = d.byte1() != 0
		case pInt:
			p[k] = d.sv()
		case pFloat:
			p[k] = math.Float64frombits(d.u64())
		case pStrings:
			m := d.count(1)
			ss := make([]string, m) // never nil: an empty list is a value
			for i := range ss {
				ss[i] = d.str()
			}
			p[k] = ss
		default:
			d.fail("property %q of unknown type %d", k, t)
			return nil
		}
	}
	return p
}

func (d *decoder) decode(opt Options) (*Decoded, error) {
	// string table: one allocation for all the text, sliced per string
	n := d.count(1)
	total := d.uv()
	if d.err == nil && total > uint64(len(d.b)-d.pos) {
		d.fail("string table larger than the blob")
	}
	// the lengths are read twice (checked, then used) rather than kept
	// in a slice of their own: a load decodes millions of them, and
	// every slice it drops is garbage held until the load ends
	// (graph/embedded pauses the collector while it decodes)
	lensAt := d.pos
	sum := uint64(0)
	for range n {
		l := d.uv()
		if l > total-sum { // sum stays at most total: it cannot wrap
			d.fail("string table lengths do not add up")
			break
		}
		sum += l
	}
	if d.err != nil {
		return nil, d.err
	}
	if sum != total || int(total) > len(d.b)-d.pos {
		return nil, fmt.Errorf("string table lengths do not add up")
	}
	textAt := d.pos
	var text string
	switch {
	case total == 0:
	case opt.KeepBlob:
		text = unsafe.String(&d.b[textAt], int(total))
	default:
		text = string(d.b[textAt : textAt+int(total)])
	}
	d.strs = d.scratch.strs(n)
	d.pos = lensAt
	off := 0
	for i := range d.strs {
		l := int(d.uv())
		d.strs[i] = text[off : off+l]
		off += l
	}
	d.pos = textAt + int(total)
	if n == 0 || d.strs[0] != "" {
		return nil, fmt.Errorf("string table does not start with the empty string")
	}

	out := &Decoded{}
	var arena []string
	for sec := range 4 {
		size := d.count(1)
		end := d.pos + size
		if d.err != nil {
			return nil, d.err
		}
		var skip bool
		switch {
		case opt.FactsOnly:
			skip = sec != 2
		case sec == 2:
			skip = opt.MovesOnly && len(opt.KeepFacts) == 0
		case sec == 3:
			skip = opt.NoFindings
		}
		if skip {
			d.pos = end
			continue
		}
		sub := d.b
		d.b = d.b[:end] // a section cannot read past its end
		switch sec {
		case 0:
			out.Nodes = d.nodes(&arena, opt.Into)
		case 1:
			moves := d.edges(&arena, nil, edgeWindow(opt.Into, 0))
			out.Moves = len(moves)
			out.EdgeRuns = append(out.EdgeRuns, moves)
		case 2:
			var keep []graph.EdgeKind
			if opt.MovesOnly || opt.FactsOnly {
				keep = opt.KeepFacts // nil with FactsOnly: every fact
			}
			out.EdgeRuns = append(out.EdgeRuns, d.edges(&arena, keep, edgeWindow(opt.Into, out.Moves)))
		case 3:
			out.Findings = d.findings(&arena, opt)
		}
		if d.err == nil && d.pos != end {
			d.fail("section %d has %d bytes left over", sec, end-d.pos)
		}
		d.b = sub
		if d.err != nil {
			return nil, d.err
		}
	}
	if d.pos != len(d.b) {
		return nil, fmt.Errorf("%d bytes after the last section", len(d.b)-d.pos)
	}
	if w := opt.Into; w != nil {
		n := 0
		for _, r := range out.EdgeRuns {
			n += len(r)
		}
		if n != len(w.Edges) || len(out.Nodes) != len(w.Nodes) {
			return nil, fmt.Errorf("%w: %d nodes and %d edges into windows of %d and %d", ErrWindow, len(out.Nodes), n, len(w.Nodes), len(w.Edges))
		}
	}
	return out, nil
}

// edgeWindow is the rest of the window's edges after the first used ones,
// empty with the capacity left, or nil without a window.
func edgeWindow(w *Window, used int) []graph.Edge {
	if w == nil {
		return nil
	}
	if used > len(w.Edges) {
		used = len(w.Edges)
	}
	return w.Edges[used:used:len(w.Edges)]
}

func (d *decoder) nodes(arena *[]string, w *Window) []graph.Node {
	n := d.count(11)
	var out []graph.Node
	switch {
	case w == nil:
		out = make([]graph.Node, n)
	case n != len(w.Nodes):
		d.err, d.pos = fmt.Errorf("%w: %d nodes into a window of %d", ErrWindow, n, len(w.Nodes)), len(d.b)
		return nil
	default:
		out = w.Nodes
	}
	for i := range out {
		x := &out[i]
		x.ID = d.str()
		x.Kind = graph.Kind(d.str())
		x.Cloud = graph.Cloud(d.str())
		x.NativeType = d.str()
		x.Name = d.str()
		x.Account = d.str()
		x.Region = d.str()
		x.Service = d.str()
		x.Sensitivity = graph.Sensitivity(d.uv())
		fl := d.byte1()
		x.CrownJewel, x.Stub, x.Stale = fl&nCrown != 0, fl&nStub != 0, fl&nStale != 0
		if fl&nStaleSince != 0 {
			x.StaleSince = d.time()
		}
		x.Tags = d.sharedTags()
		x.Props = d.sharedProps()
		if d.err != nil {
			return nil
		}
	}
	return out
}

// edges decodes an edge section; with keep set, only edges of those kinds
// are materialised and the others are read past. With into (a window,
// empty with capacity), edges are appended to it; more than it holds is
// ErrWindow.
func (d *decoder) edges(arena *[]string, keep []graph.EdgeKind, into []graph.Edge) []graph.Edge {
	n := d.count(8)
	var out []graph.Edge
	switch {
	case into != nil:
		out = into
	case keep == nil:
		out = make([]graph.Edge, 0, n)
	}
	for range n {
		var x graph.Edge
		x.From = d.str()
		x.Kind = graph.EdgeKind(d.str())
		if keep != nil && !slices.Contains(keep, x.Kind) {
			d.skipEdgeRest()
			if d.err != nil {
				return nil
			}
			continue
		}
		x.To = d.str()
		x.Technique = d.str()
		fl := d.byte1()
		x.Conditional, x.Stale = fl&eConditional != 0, fl&eStale != 0
		if fl&eLikelihood != 0 {
			x.Likelihood = math.Float64frombits(d.u64())
		}
		x.Evidence = d.strList(arena)
		x.Findings = d.strList(arena)
		x.Props = d.sharedProps()
		if d.err != nil {
			return nil
		}
		if into != nil && len(out) == cap(out) {
			d.err, d.pos = fmt.Errorf("%w: more edges than the window holds", ErrWindow), len(d.b)
			return nil
		}
		out = append(out, x)
	}
	return out
}

// skipEdgeRest reads past an edge row after its kind.
func (d *decoder) skipEdgeRest() {
	d.uv() // to
	d.uv() // technique
	if d.byte1()&eLikelihood != 0 {
		d.u64()
	}
	for range 2 { // evidence, findings
		for m := d.count(1); m > 0; m-- {
			d.uv()
		}
	}
	d.skipProps()
}

func (d *decoder) findings(arena *[]string, opt Options) []graph.Finding {
	n := d.count(10)
	out := make([]graph.Finding, 0, n)
	for range n {
		var x graph.Finding
		x.ID = d.str()
		x.RuleID = d.str()
		x.Resource = d.str()
		x.Severity = graph.Severity(int64(d.uv()))
		x.Title = d.str()
		x.Evidence = d.str()
		x.Remediation = d.str()
		x.Controls = d.strList(arena)
		fl := d.byte1()
		x.Stale = fl&fStale != 0
		if fl&fFixEffort != 0 {
			x.FixEffort = math.Float64frombits(d.u64())
		}
		if fl&fFirstSeen != 0 {
			x.FirstSeen = d.time()
		}
		switch {
		case fl&fLastSeen != 0:
			x.LastSeen = d.time()
		case fl&fSeenByNewest != 0:
			x.LastSeen = opt.LastSeen
		}
		if fl&fResolved != 0 {
			x.ResolvedAt = d.time()
		}
		if d.err != nil {
			return nil
		}
		if !x.ResolvedAt.IsZero() && !opt.IncludeResolved {
			continue
		}
		out = append(out, x)
	}
	return out
}
