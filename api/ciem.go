package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	"github.com/breachpath/breachpath/graph"
)

// Bounds of the CIEM endpoints.
const (
	// maxCIEMFilters bounds the account and principal filters of one request:
	// each is matched against every principal.
	maxCIEMFilters = 100
	// maxCIEMReports bounds the reports cached per generation: every
	// distinct filter set is a cache entry, and clients choose the filters.
	maxCIEMReports = 32
)

// CIEMReport is GET /ciem in JSON: the ciem.Report (the JSON of
// `breachpath ciem --format json`) with the generation it was computed from.
type CIEMReport struct {
	Generation string `json:"generation"`
	*ciem.Report
}

// CIEMPrincipal is GET /ciem/principals/{id}: one principal's row of the
// unfiltered report, with the window it was judged over.
type CIEMPrincipal struct {
	Generation     string         `json:"generation"`
	GeneratedAt    string         `json:"generated_at"`
	WindowDays     int            `json:"window_days"`
	PathsTruncated bool           `json:"paths_truncated"`
	Principal      ciem.Principal `json:"principal"`
}

// ciemFormats are the download formats of GET /ciem, with the writers of
// `breachpath ciem`.
var ciemFormats = map[string]struct {
	contentType, ext string
	write            func(io.Writer, *ciem.Report) error
}{
	"json":     {"application/json", "json", nil}, // CIEMReport, written by ciemDownload
	"csv":      {"text/csv; charset=utf-8", "csv", ciem.WriteCSV},
	"markdown": {"text/markdown; charset=utf-8", "md", ciem.WriteMarkdown},
	"html":     {"text/html; charset=utf-8", "html", ciem.WriteHTML},
}

// ciemOptions are the options a CIEM report is cached by.
type ciemOptions struct {
	days       int
	accounts   []string
	principals []string
}

// key names the options; filters are sorted and deduplicated so that the
// same question asked in another order shares the entry.
func (o ciemOptions) key() string {
	return strconv.Itoa(o.days) + "\x00" + strings.Join(o.accounts, "\x01") + "\x00" + strings.Join(o.principals, "\x01")
}

// ciemEntry is one cached report; done closes when it is computed.
type ciemEntry struct {
	done chan struct{}
	rep  *ciem.Report
	err  error
}

// ciemParams reads the options of a CIEM request, answering 400 when they
// are bad. withFilters is false for the principal endpoint (one id, the
// unfiltered report).
func ciemParams(c *gin.Context, withFilters bool) (ciemOptions, bool) {
	days, ok := intParam(c, "last_accessed_days", ciem.DefaultWindowDays, 1, collector.MaxTrackingDays)
	if !ok {
		return ciemOptions{}, false
	}
	o := ciemOptions{days: days}
	if !withFilters {
		return o, true
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"account", &o.accounts}, {"principal", &o.principals}} {
		vals := c.QueryArray(f.name)
		if len(vals) > maxCIEMFilters {
			badParam(c, fmt.Sprintf("%s: at most %d values", f.name, maxCIEMFilters))
			return ciemOptions{}, false
		}
		for _, v := range vals {
			if strings.TrimSpace(v) == "" {
				badParam(c, f.name+": empty value")
				return ciemOptions{}, false
			}
			if len(v) > maxQueryLen*10 {
				badParam(c, fmt.Sprintf("%s: a value is longer than %d characters", f.name, maxQueryLen*10))
				return ciemOptions{}, false
			}
		}
		if len(vals) > 0 {
			*f.dst = slices.Compact(slices.Sorted(slices.Values(vals)))
		}
	}
	return o, true
}

// ciemReport returns the CIEM report of the analysis' generation for o,
// computing it once (concurrent requests for the same options wait for the
// first) and caching it with the analysis, so a new generation starts
// afresh. It answers the error itself and returns false on failure.
func (s *Server) ciemReport(c *gin.Context, an *analysis, g *graph.Graph, o ciemOptions) (*ciem.Report, bool) {
	key := o.key()
	an.ciemMu.Lock()
	e, cached := an.ciem[key]
	if !cached {
		e = &ciemEntry{done: make(chan struct{})}
		if an.ciem == nil {
			an.ciem = map[string]*ciemEntry{}
		}
		if len(an.ciemOrder) >= maxCIEMReports {
			delete(an.ciem, an.ciemOrder[0])
			an.ciemOrder = an.ciemOrder[1:]
		}
		an.ciem[key] = e
		an.ciemOrder = append(an.ciemOrder, key)
	}
	an.ciemMu.Unlock()
	if !cached {
		s.computeCIEM(c, an, g, o, key, e)
	}
	select {
	case <-e.done:
	case <-c.Request.Context().Done():
		abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the CIEM report was computed")
		return nil, false
	}
	if e.err != nil {
		if errors.Is(e.err, context.DeadlineExceeded) || errors.Is(e.err, context.Canceled) {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "the CIEM report took too long; see the server log")
		} else {
			abort(c, http.StatusServiceUnavailable, codeUnavailable, "the CIEM report could not be computed; see the server log")
		}
		return nil, false
	}
	return e.rep, true
}

// computeCIEM builds the report for e. It runs in a heavy slot (escalation
// searches per principal) and detached from the request: the report is
// cached for everyone, so a client hanging up must not waste it. A failure
// is not cached: the entry is dropped so that the next request retries.
func (s *Server) computeCIEM(c *gin.Context, an *analysis, g *graph.Graph, o ciemOptions, key string, e *ciemEntry) {
	defer close(e.done)
	release, ok := s.acquireHeavy(c)
	if !ok {
		e.err = context.Canceled
	} else {
		defer release()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), s.cfg.AnalysisTimeout)
		defer cancel()
		// The analysis' own search result is joined (no second search), and
		// the window ends when the analysis was built, so a cached report
		// says the same thing however late it is read.
		e.rep, e.err = ciem.Build(ctx, g, ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{
			Now: an.builtAt, LastAccessedDays: o.days, Accounts: o.accounts, Principals: o.principals, Paths: an.found})
	}
	if e.err != nil {
		s.log.Error("CIEM report failed", "generation", an.generation, "err", e.err)
		an.ciemMu.Lock()
		if an.ciem[key] == e {
			delete(an.ciem, key)
			an.ciemOrder = slices.DeleteFunc(an.ciemOrder, func(k string) bool { return k == key })
		}
		an.ciemMu.Unlock()
	}
}

// withLists returns the report with empty lists instead of nil ones (the
// cached report is shared and stays untouched), so JSON clients always get
// arrays.
func withLists(r *ciem.Report) *ciem.Report {
	if r.Principals != nil && r.Accounts != nil {
		return r
	}
	cp := *r
	if cp.Principals == nil {
		cp.Principals = []ciem.Principal{}
	}
	if cp.Accounts == nil {
		cp.Accounts = []ciem.AccountSummary{}
	}
	return &cp
}

// ciemFor reads the request's CIEM parameters (filters when filtered) and
// returns the current analysis and its report, or answers the failure.
func (s *Server) ciemFor(c *gin.Context, filtered bool) (*analysis, *ciem.Report, bool) {
	o, ok := ciemParams(c, filtered)
	if !ok {
		return nil, nil, false
	}
	// the report reads the moves, group membership and trust
	// (ciem.FactsRead): only those facts are loaded, as `breachpath ciem`
	// loads them (ciem.LoadFilter)
	an, g, ok := s.withFactKinds(c, ciem.FactsRead, false)
	if !ok {
		return nil, nil, false
	}
	rep, ok := s.ciemReport(c, an, g, o)
	return an, rep, ok
}

// ciemDownload is GET /ciem: the report in one of the formats of
// `breachpath ciem`, as a download like /queue.
func (s *Server) ciemDownload(c *gin.Context) {
	format := c.DefaultQuery("format", "json")
	t, known := ciemFormats[format]
	if !known {
		badParam(c, fmt.Sprintf("format %q: want json, csv, markdown or html", format))
		return
	}
	an, rep, ok := s.ciemFor(c, true)
	if !ok {
		return
	}
	rep = withLists(rep)
	buf := s.newCappedBuffer(s.cfg.MaxExportBytes)
	defer buf.release()
	var err error
	if t.write == nil {
		err = writeCIEMJSON(buf, an.generation, rep)
	} else {
		err = t.write(buf, rep)
	}
	s.sendDownload(c, buf, err, download{
		tooLarge: "the CIEM report is over the %d-byte cap; filter it with account or principal",
		logMsg:   "write CIEM report", failMsg: "could not write the CIEM report", format: format,
		filename: "breachpath-ciem." + t.ext, contentType: t.contentType})
}

// writeCIEMJSON writes what json.Encoder.Encode writes for the report with
// its generation, a principal at a time, so that a capped buffer refuses a
// report over the cap when the cap is reached, not after the whole
// encoding (about 1.2 GB at a million resources) has been built in memory.
func writeCIEMJSON(w io.Writer, generation string, rep *ciem.Report) error {
	head := *rep
	head.Principals = nil
	hb, err := json.Marshal(CIEMReport{Generation: generation, Report: &head})
	if err != nil {
		return err
	}
	// The only null "principals" member: AccountSummary's is a number.
	const slot = `"principals":null`
	i := bytes.Index(hb, []byte(slot))
	if i < 0 || rep.Principals == nil {
		_, err := w.Write(append(hb, '\n'))
		return err
	}
	if _, err := w.Write(append(hb[:i+len(slot)-len("null"):i+len(slot)-len("null")], '[')); err != nil {
		return err
	}
	for k := range rep.Principals {
		b, err := json.Marshal(&rep.Principals[k])
		if err != nil {
			return err
		}
		if k > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	tail := append([]byte{']'}, hb[i+len(slot):]...)
	_, err = w.Write(append(tail, '\n'))
	return err
}

// ciemPrincipal is GET /ciem/principals/{id}. It reads the unfiltered
// report of the window, which the report endpoint shares (a list, then the
// row of one of its principals, is the usual order), rather than one
// report per principal.
func (s *Server) ciemPrincipal(c *gin.Context) {
	id := c.Param("id")
	an, rep, ok := s.ciemFor(c, false)
	if !ok {
		return
	}
	p := rep.Principal(id)
	if p == nil {
		if an.g.Node(id) != nil {
			notFound(c, fmt.Sprintf("node %q is not a principal (user, group, role or service account)", id))
		} else {
			notFound(c, fmt.Sprintf("no principal %q", id))
		}
		return
	}
	s.writeJSON(c, http.StatusOK, CIEMPrincipal{Generation: an.generation,
		GeneratedAt: rep.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), WindowDays: rep.WindowDays,
		PathsTruncated: rep.PathsTruncated, Principal: *p})
}

// ciemPropPrefix marks the node properties CIEM analysers write
// (entitlement.PropEntitlements, entitlement.PropLastAccessed): JSON text of up to 64 KB
// per principal, served structured by /ciem, so /nodes leaves them out.
const ciemPropPrefix = "ciem_"

// nodeProps returns the props a node answer shows: no secret-like keys and
// no CIEM documents (nil when nothing is left).
func nodeProps(p graph.Props) graph.Props {
	out := safeProps(p)
	for k := range out {
		if strings.HasPrefix(k, ciemPropPrefix) {
			delete(out, k)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
