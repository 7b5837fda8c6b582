package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/schedule"
	"github.com/breachpath/breachpath/scoring/trend"
)

// metrics are the Prometheus metrics GET /metrics exposes (docs/api.md):
// API latency, collection runs, and the current analysis' open attack
// paths and findings by severity. They live in the server's own registry,
// so that two servers in one process (tests) never share counters.
type metrics struct {
	reg        *prometheus.Registry
	latency    *prometheus.HistogramVec
	collection *prometheus.HistogramVec
	runs       *prometheus.CounterVec
	lastOK     *prometheus.GaugeVec
	handler    http.Handler
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "breachpath", Subsystem: "api", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route template (never the raw path: ids are estate data), method and status code.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "code"})
	m.collection = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "breachpath", Subsystem: "collection", Name: "duration_seconds",
		Help:    "Duration of a scheduled collection run, by target and outcome (ok, partial, failed).",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
	}, []string{"target", "state"})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "breachpath", Subsystem: "collection", Name: "runs_total",
		Help: "Scheduled collection runs, by target and outcome.",
	}, []string{"target", "state"})
	m.lastOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "breachpath", Subsystem: "collection", Name: "last_success_timestamp_seconds",
		Help: "When a target's collection last stored data (ok or partial), Unix seconds.",
	}, []string{"target"})
	m.reg.MustRegister(m.latency, m.collection, m.runs, m.lastOK, &estateCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil, ErrorHandling: promhttp.ContinueOnError})
	return m
}

// observe is the middleware timing every request.
func (m *metrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.latency.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
}

// CollectionFinished records a scheduled run: the server subscribes to the
// scheduler (schedule.Subscriber).
func (s *Server) CollectionFinished(_ context.Context, ev schedule.Event) {
	m := s.metrics
	m.collection.WithLabelValues(ev.Target, string(ev.State)).Observe(ev.Duration().Seconds())
	m.runs.WithLabelValues(ev.Target, string(ev.State)).Inc()
	if ev.State != schedule.Failed {
		m.lastOK.WithLabelValues(ev.Target).Set(float64(ev.Finished.Unix()))
	}
}

// serveMetrics answers GET /metrics in the Prometheus text format.
func (s *Server) serveMetrics(c *gin.Context) {
	s.metrics.handler.ServeHTTP(c.Writer, c.Request)
}

// estateCollector reports the current analysis at scrape time: nothing is
// computed for a scrape; before the first analysis there is nothing to report.
type estateCollector struct{ s *Server }

var (
	openPathsDesc = prometheus.NewDesc("breachpath_open_attack_paths", "Attack paths in the current analysis, by severity (the highest severity of the findings that enable the path).",
		[]string{"severity"}, nil)
	openFindingsDesc = prometheus.NewDesc("breachpath_open_findings", "Open findings (stale included) in the current analysis, by severity.", []string{"severity"}, nil)
	truncatedDesc    = prometheus.NewDesc("breachpath_analysis_truncated", "1 when the current analysis' path search was truncated (path counts are lower bounds).", nil, nil)
	analysisAgeDesc  = prometheus.NewDesc("breachpath_analysis_built_timestamp_seconds", "When the current analysis was built, Unix seconds.", nil, nil)
)

func (e *estateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openPathsDesc
	ch <- openFindingsDesc
	ch <- truncatedDesc
	ch <- analysisAgeDesc
}

func (e *estateCollector) Collect(ch chan<- prometheus.Metric) {
	an := e.s.cache.ready()
	if an == nil || an.report == nil || an.g == nil {
		return
	}
	paths := map[graph.Severity]int{}
	sev := func(id string) graph.Severity {
		if f := an.g.Finding(id); f != nil {
			return f.Severity
		}
		return graph.SeverityInfo
	}
	for i := range an.report.Paths {
		paths[trend.PathSeverity(an.report.Paths[i].Path.Findings(), sev)]++
	}
	findings := map[graph.Severity]int{}
	for i := range an.g.Findings {
		if an.g.Findings[i].ResolvedAt.IsZero() {
			findings[an.g.Findings[i].Severity]++
		}
	}
	for s := graph.SeverityInfo; s <= graph.SeverityCritical; s++ {
		ch <- prometheus.MustNewConstMetric(openPathsDesc, prometheus.GaugeValue, float64(paths[s]), s.String())
		ch <- prometheus.MustNewConstMetric(openFindingsDesc, prometheus.GaugeValue, float64(findings[s]), s.String())
	}
	t := 0.0
	if an.report.Truncated {
		t = 1
	}
	ch <- prometheus.MustNewConstMetric(truncatedDesc, prometheus.GaugeValue, t)
	ch <- prometheus.MustNewConstMetric(analysisAgeDesc, prometheus.GaugeValue, float64(an.builtAt.Unix()))
}
