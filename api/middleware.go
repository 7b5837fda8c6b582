package api

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// contentSecurityPolicy keeps the explorer to its own origin: no inline
// scripts, no third-party anything, never framed. Images may be data: URIs
// (the node icons are SVG data URIs built in code).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Next()
}

// recovery turns a panic into the error JSON and a log line with the stack.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				abort(c, http.StatusInternalServerError, codeInternal, "internal error")
			}
		}
	}()
	c.Next()
}

// accessLog logs one structured line per request. It never logs headers
// (the Authorization header carries the token) nor the query string (which
// is the client's business); the path is enough to find a request.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	lvl := slogLevel(c.Writer.Status())
	s.log.Log(c.Request.Context(), lvl, "http request",
		"method", c.Request.Method,
		"path", c.Request.URL.Path,
		"status", c.Writer.Status(),
		"bytes", c.Writer.Size(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000,
		"client", c.ClientIP(),
	)
}

// bodyLimit rejects request bodies over the cap: the API reads none, but a
// client must not be able to make the server buffer one.
func (s *Server) bodyLimit(c *gin.Context) {
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		abort(c, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("request body over %d bytes", s.cfg.MaxBodyBytes))
		return
	}
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	}
	c.Next()
}

// clientLimiter is a token bucket per client. Clients are keyed by
// clientKey, so every loopback address shares one bucket and an IPv6 client
// gets one per /64; idle buckets are dropped, and at most maxBuckets exist at
// once (newcomers beyond that share one overflow bucket), so neither a scan of
// many addresses nor the 16 million 127.0.0.0/8 sources can grow the map.
type clientLimiter struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	now     func() time.Time
	clients map[string]*bucket
	swept   time.Time
	max     int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const (
	limiterIdle = 5 * time.Minute
	// maxBuckets bounds the limiter's map (a bucket is about 150 bytes).
	maxBuckets = 4096
	// overflowKey names the bucket every client shares while the map is full.
	overflowKey = "overflow"
	// loopbackKey names the one bucket of every loopback source: anything
	// on this host can pick any of 127.0.0.0/8 as its source address, so a
	// bucket per address would give a local process as many buckets as it
	// likes.
	loopbackKey = "loopback"
)

func newClientLimiter(r float64, burst int, now func() time.Time) *clientLimiter {
	return &clientLimiter{rate: rate.Limit(r), burst: burst, now: now, clients: map[string]*bucket{}, max: maxBuckets}
}

// clientKey is the bucket a remote host (an IP literal, or whatever the
// remote address held) belongs to: loopback sources share one, an IPv6
// address counts by its /64 (one host usually holds a whole /64), any other
// address by itself.
func clientKey(host string) string {
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.IsLoopback() {
		return loopbackKey
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// allow takes one token for the client, or says how long until one is free.
func (l *clientLimiter) allow(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := clientKey(client)
	if now.Sub(l.swept) > limiterIdle || (len(l.clients) >= l.max && l.clients[key] == nil) {
		l.sweep(now)
	}
	b := l.clients[key]
	if b == nil {
		if len(l.clients) >= l.max {
			key = overflowKey
			b = l.clients[key]
		}
		if b == nil {
			b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
			l.clients[key] = b
		}
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the buckets idle for longer than limiterIdle. A full map is
// swept at most once a second, so a flood of newcomers costs no more than
// one pass over it per second.
func (l *clientLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Second {
		return
	}
	for k, b := range l.clients {
		if now.Sub(b.seen) > limiterIdle {
			delete(l.clients, k)
		}
	}
	l.swept = now
}

func (s *Server) rateLimit(c *gin.Context) {
	// The remote address, not X-Forwarded-For: the server binds loopback by
	// default and trusts no proxy, so a header cannot buy a fresh bucket.
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		host = c.Request.RemoteAddr
	}
	if ok, wait := s.limiter.allow(host); !ok {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		abort(c, http.StatusTooManyRequests, codeRateLimited, "too many requests; retry later")
		return
	}
	c.Next()
}

func (s *Server) noRoute(c *gin.Context) {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/api" || !s.assetsOK {
		notFound(c, "no such endpoint: "+p)
		return
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		abort(c, http.StatusMethodNotAllowed, codeMethodNotAllowed, c.Request.Method+" is not allowed on "+p)
		return
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "index.html"
	}
	data, err := fs.ReadFile(s.cfg.Assets, name)
	if err != nil {
		notFound(c, "no such file: "+p)
		return
	}
	ct := mimeType(name)
	if name == "index.html" {
		c.Header("Cache-Control", "no-cache")
	}
	c.Data(http.StatusOK, ct, data)
}

func mimeType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	case ".ico":
		return "image/x-icon"
	}
	return "application/octet-stream"
}

// writeJSON encodes v and answers it, or a 500 when it is over the response
// cap (the list endpoints paginate so that never happens to them).
func (s *Server) writeJSON(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode response", "path", c.Request.URL.Path, "err", err)
		abort(c, http.StatusInternalServerError, codeInternal, "could not encode the response")
		return
	}
	if len(b) > s.cfg.MaxResponseBytes {
		abort(c, http.StatusInternalServerError, codeTooLarge,
			fmt.Sprintf("response of %d bytes over the %d-byte cap; narrow the request", len(b), s.cfg.MaxResponseBytes))
		return
	}
	if !s.buffered.take(int64(len(b))) {
		busyBuffers(c)
		return
	}
	defer s.buffered.give(int64(len(b)))
	c.Header("Cache-Control", "no-store")
	c.Data(status, "application/json; charset=utf-8", b)
}
