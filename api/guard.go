package api

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// The API's defences of its origin and its memory (docs/security.md):
//   - hostCheck: a request whose Host is not the listen address, a loopback
//     name or a configured allowed host is refused, so a page that rebinds
//     its own DNS name to 127.0.0.1 cannot read the API (DNS rebinding
//     reads everything under --no-auth otherwise);
//   - inFlight: at most MaxInFlight requests are served at once, whatever
//     their source addresses (every 127.0.0.0/8 address gets its own rate
//     bucket, so the per-client limiter alone does not bound the total);
//   - byteBudget: the bytes of answers buffered for writing are bounded in
//     total, so slow readers of large answers cannot hold unbounded memory.

// Defaults of the global caps.
const (
	DefaultMaxInFlight      = 32
	DefaultMaxBufferedBytes = 256 << 20
)

// hostAllow decides which Host header values are accepted.
type hostAllow struct {
	names map[string]bool // lower-case host names and IP literals without port
}

// newHostAllow accepts the loopback names, the listen address's host (when
// it names a host, not 0.0.0.0 or ::) and every allowed host.
func newHostAllow(listen string, allowed []string) hostAllow {
	a := hostAllow{names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			a.names[strings.ToLower(h)] = true
		}
	}
	for _, h := range allowed {
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		a.names[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	return a
}

// ok reports whether the Host header value names this server.
func (a hostAllow) ok(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.Trim(h, "[]"))
	if h == "" {
		return false
	}
	if a.names[h] || a.names[strings.TrimSuffix(h, ".")] {
		return true
	}
	// every 127.0.0.0/8 literal is this machine
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	return strings.HasSuffix(h, ".localhost") // RFC 6761: always loopback
}

// hostCheck refuses requests for a foreign Host. The probes (/healthz,
// /readyz) answer any Host: orchestrators call them by pod address.
func (s *Server) hostCheck(c *gin.Context) {
	p := c.Request.URL.Path
	if p == "/healthz" || p == "/readyz" || s.hosts.ok(c.Request.Host) {
		c.Next()
		return
	}
	abort(c, http.StatusMisdirectedRequest, codeForeignHost,
		fmt.Sprintf("host %q is not this server's (serve --allowed-host adds a name)", clip(c.Request.Host, 100)))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// inFlight answers 503 at once when MaxInFlight requests are already being
// served: queueing would only hold more memory.
func (s *Server) inFlight(c *gin.Context) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
		c.Next()
	default:
		c.Header("Retry-After", "1")
		abort(c, http.StatusServiceUnavailable, codeBusy, "the server is answering as many requests as it allows; retry in a moment")
	}
}

// byteBudget bounds the bytes of all answers buffered at once.
type byteBudget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

// take reserves n bytes, or reports that the budget cannot hold them.
func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// give returns n bytes to the budget.
func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// busyBuffers answers 503 for an answer the byte budget cannot hold now.
func busyBuffers(c *gin.Context) {
	c.Header("Retry-After", "2")
	abort(c, http.StatusServiceUnavailable, codeBusy, "the server holds as many buffered answers as it allows; retry in a moment")
}
