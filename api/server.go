package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/schedule"
	"github.com/breachpath/breachpath/scoring/owner"
)

// Defaults of Config.
const (
	DefaultTTL             = 10 * time.Minute
	DefaultCheckInterval   = 2 * time.Second
	DefaultAnalysisTimeout = 5 * time.Minute
	DefaultRate            = 20 // requests per second per client
	DefaultBurst           = 40
	DefaultMaxBodyBytes    = 64 << 10
	DefaultPageSize        = 50
	DefaultMaxPageSize     = 500
	DefaultMaxResponse     = 8 << 20
	DefaultMaxExport       = 256 << 20
	DefaultHeavy           = 2 // concurrent what-if searches
)

// Config configures the API server. Store is required; so is Token unless
// NoAuth is set. Zero limits mean the defaults above.
type Config struct {
	Store graph.Store
	// Token is the bearer token every /api/v1 request except the OpenAPI
	// document must carry. NoAuth disables the check (an explicit choice).
	Token  string
	NoAuth bool
	Logger *slog.Logger
	// Search are the options of the cached analysis (zero: the engine's defaults).
	Search paths.Options
	// TTL bounds the age of the cached analysis; CheckInterval is how often
	// the store's sync history is read to notice a new generation.
	TTL             time.Duration
	CheckInterval   time.Duration
	AnalysisTimeout time.Duration
	// Rate and Burst size the per-client token bucket (requests per second).
	Rate  float64
	Burst int
	// MaxBodyBytes caps request bodies; MaxPageSize the limit of list
	// endpoints; MaxResponseBytes any JSON answer; MaxExportBytes a queue download.
	MaxBodyBytes     int64
	MaxPageSize      int
	MaxResponseBytes int
	MaxExportBytes   int
	// ListenAddr is the address the server listens on (host:port); its host
	// is an accepted Host header besides the loopback names and
	// AllowedHosts (names or IPs, with or without port).
	ListenAddr   string
	AllowedHosts []string
	// MaxInFlight caps the requests served at once; MaxBufferedBytes the
	// bytes of answers buffered at once (zero: the defaults in guard.go).
	// MaxResponseBytes and MaxExportBytes never exceed MaxBufferedBytes.
	MaxInFlight      int
	MaxBufferedBytes int64
	// Assets are the explorer's static files, served at / without auth (nil: none).
	Assets fs.FS
	// Owners resolves the owner shown with each finding (nil: the default
	// owner tag keys only).
	Owners *owner.Resolver
	// ChangesPath is the change ledger file (scoring/drift) that
	// /api/v1/changes reads; empty: the endpoint answers not found.
	ChangesPath string
	// Collections returns the scheduled collections' statuses for
	// /readyz and GET /api/v1/collections; nil when serve schedules none.
	Collections func() []schedule.Status
	// MetricsPublic serves GET /metrics without the bearer token (for a
	// scraper that cannot send one); by default /metrics needs it like
	// the API (docs/security.md).
	MetricsPublic bool
	// NearMaxScopes is the most scopes whose facts one neighbourhood or
	// node answer loads before it reads the fact stage instead (near.go);
	// zero: maxScopedScopes; negative: always the fact stage.
	NearMaxScopes int
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Server is the API: an http.Handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	cache    *analysisCache
	engine   *gin.Engine
	token    [32]byte
	limiter  *clientLimiter
	heavy    chan struct{}
	hosts    hostAllow
	slots    chan struct{}
	buffered *byteBudget
	openapi  []byte
	assetsOK bool
	metrics  *metrics
}

// New builds the API handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: no store")
	}
	if !cfg.NoAuth && len(cfg.Token) < 16 {
		return nil, errors.New("api: a token of at least 16 characters is required unless NoAuth is set")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.TTL, DefaultTTL)
	setDefault(&cfg.CheckInterval, DefaultCheckInterval)
	setDefault(&cfg.AnalysisTimeout, DefaultAnalysisTimeout)
	setDefault(&cfg.Rate, DefaultRate)
	setDefault(&cfg.Burst, DefaultBurst)
	setDefault(&cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&cfg.MaxPageSize, DefaultMaxPageSize)
	setDefault(&cfg.MaxResponseBytes, DefaultMaxResponse)
	setDefault(&cfg.MaxExportBytes, DefaultMaxExport)
	setDefault(&cfg.MaxInFlight, DefaultMaxInFlight)
	setDefault(&cfg.MaxBufferedBytes, DefaultMaxBufferedBytes)
	cfg.MaxExportBytes = int(min(int64(cfg.MaxExportBytes), cfg.MaxBufferedBytes))
	cfg.MaxResponseBytes = int(min(int64(cfg.MaxResponseBytes), cfg.MaxBufferedBytes))
	doc, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg,
		log: cfg.Logger,
		cache: &analysisCache{store: cfg.Store, opts: cfg.Search, owners: cfg.Owners, ttl: cfg.TTL, interval: cfg.CheckInterval,
			timeout: cfg.AnalysisTimeout, log: cfg.Logger, now: cfg.Now},
		token:    sha256.Sum256([]byte(cfg.Token)),
		limiter:  newClientLimiter(cfg.Rate, cfg.Burst, cfg.Now),
		heavy:    make(chan struct{}, DefaultHeavy),
		hosts:    newHostAllow(cfg.ListenAddr, cfg.AllowedHosts),
		slots:    make(chan struct{}, cfg.MaxInFlight),
		buffered: &byteBudget{max: cfg.MaxBufferedBytes},
		openapi:  doc,
	}
	if cfg.Assets != nil {
		if _, err := fs.Stat(cfg.Assets, "index.html"); err != nil {
			return nil, fmt.Errorf("api: explorer assets have no index.html: %w", err)
		}
		s.assetsOK = true
	}
	s.metrics = newMetrics(s)
	s.engine = s.routes()
	return s, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Warm computes the analysis ahead of the first request.
func (s *Server) Warm(ctx context.Context) error {
	_, err := s.cache.get(ctx)
	return err
}

// HTTPServer wraps h in an http.Server with the timeouts breachpath serves
// with: slow or idle clients cannot hold connections open.
func HTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      2 * time.Minute, // a cold analysis of a large estate, or a big export
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// Node ids hold slashes: with the raw path, an escaped %2F stays inside
	// one segment of /nodes/{id}, and gin unescapes the value for us.
	e.UseRawPath = true
	e.UnescapePathValues = true
	e.RemoveExtraSlash = false
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	// No proxy is trusted: ClientIP (access log) is the remote address, not
	// a header a client can forge.
	e.ForwardedByClientIP = false
	_ = e.SetTrustedProxies(nil) // nil is always accepted
	e.Use(s.recovery, s.accessLog, s.metrics.observe, securityHeaders, s.hostCheck, s.inFlight, s.bodyLimit)
	e.NoRoute(s.noRoute)
	e.NoMethod(func(c *gin.Context) {
		abort(c, http.StatusMethodNotAllowed, codeMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	// auth tells the explorer whether to ask for a token before its first
	// call (a 401 would show as a console error); it reveals nothing the
	// API's answers do not.
	auth := "bearer"
	if s.cfg.NoAuth {
		auth = "none"
	}
	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok", "auth": auth}) })
	e.GET("/readyz", s.readyz)
	if s.cfg.MetricsPublic {
		e.GET("/metrics", s.rateLimit, s.serveMetrics)
	} else {
		e.GET("/metrics", s.rateLimit, s.auth, s.serveMetrics)
	}

	v1 := e.Group("/api/v1", s.rateLimit)
	v1.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", s.openapi) })
	authed := v1.Group("", s.auth)
	authed.GET("/paths", s.listPaths)
	authed.GET("/paths/:id", s.getPath)
	authed.GET("/compromised", s.compromised)
	authed.GET("/findings", s.listFindings)
	authed.GET("/queue", s.queue)
	authed.GET("/plan", s.getPlan)
	authed.GET("/plan/whatif", s.whatIf)
	authed.GET("/nodes", s.getNodeByQuery)
	authed.GET("/nodes/neighbourhood", s.neighbourhood)
	authed.GET("/nodes/:id", s.getNode)
	authed.GET("/targets/:id/must-pass", s.getMustPass)
	authed.GET("/search", s.search)
	authed.GET("/stats", s.stats)
	authed.GET("/sensitivity", s.sensitivity)
	authed.GET("/changes", s.changes)
	authed.GET("/collections", s.collections)
	authed.GET("/metrics/trend", s.trend)
	authed.GET("/queries", s.listQueries)
	authed.GET("/queries/:name", s.runQuery)
	authed.GET("/compliance", s.compliance)
	authed.GET("/ciem", s.ciemDownload)
	authed.GET("/ciem/principals/:id", s.ciemPrincipal)
	return e
}

// auth checks the bearer token in constant time (both sides hashed, so
// their lengths leak nothing either).
func (s *Server) auth(c *gin.Context) {
	if s.cfg.NoAuth {
		c.Next()
		return
	}
	h := c.GetHeader("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !equalFoldASCII(h[:len(prefix)], prefix) {
		c.Header("WWW-Authenticate", `Bearer realm="breachpath"`)
		abort(c, http.StatusUnauthorized, codeUnauthorized, "missing bearer token: send 'Authorization: Bearer <token>' (the token file is printed by 'breachpath serve')")
		return
	}
	got := sha256.Sum256([]byte(h[len(prefix):]))
	if subtle.ConstantTimeCompare(got[:], s.token[:]) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="breachpath", error="invalid_token"`)
		abort(c, http.StatusUnauthorized, codeUnauthorized, "invalid bearer token")
		return
	}
	c.Next()
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if _, err := s.cfg.Store.Scopes(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "store unreachable")
		return
	}
	// ready means able to answer: the first analysis is computed (asking
	// starts it), so a load balancer sends no request that would wait for it
	an := s.cache.ready()
	if an == nil {
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the first analysis is still being computed")
		return
	}
	// A failed collection does not make the server unready: it keeps
	// serving the previous data, and says how old that is per target.
	// Nor do the parts built after the analysis (stages.go): a request
	// that needs one waits for it.
	body := gin.H{"status": "ready", "stages": an.stages()}
	if st := s.collectionStatuses(); st != nil {
		body["collections"] = st
	}
	// Nor does a multi-scope write that did not finish: each scope is
	// consistent, and the answer says the estate may mix two collections.
	if w := s.incompleteWrite(ctx); w != nil {
		body["incomplete_write"] = w
	}
	c.JSON(http.StatusOK, body)
}

// analysis returns the cached analysis or answers 503.
func (s *Server) analysis(c *gin.Context) (*analysis, bool) {
	an, err := s.cache.get(c.Request.Context())
	if err != nil {
		if c.Request.Context().Err() != nil {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the analysis was computed")
			return nil, false
		}
		s.log.Error("analysis failed", "err", err)
		abort(c, http.StatusServiceUnavailable, codeUnavailable, "the analysis could not be computed; see the server log")
		return nil, false
	}
	return an, true
}
