package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// cursor is the position in a list. It is opaque to clients (base64 of
// JSON) and bound to the generation and the filters it was issued for: a
// cursor from another generation or another query is refused rather than
// silently skipping or repeating rows.
type cursor struct {
	Generation string `json:"g"`
	List       string `json:"l"`
	Query      string `json:"q"`
	Offset     int    `json:"o"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of strings and an int always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

// queryKey hashes the query parameters that shape a list (all but cursor
// and limit), in a canonical order.
func queryKey(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "cursor" && k != "limit" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		fmt.Fprintf(h, "%s=%s\x00", k, strings.Join(vs, "\x01"))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// page reads limit and cursor for a list, answering 400/409 itself when
// they are bad.
func (s *Server) page(c *gin.Context, an *analysis, list string) (offset, limit int, key string, ok bool) {
	limit = DefaultPageSize
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.cfg.MaxPageSize {
			badParam(c, fmt.Sprintf("limit %q: want an integer from 1 to %d", v, s.cfg.MaxPageSize))
			return 0, 0, "", false
		}
		limit = n
	}
	key = queryKey(c.Request.URL.Query())
	v := c.Query("cursor")
	if v == "" {
		return 0, limit, key, true
	}
	var cur cursor
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err == nil {
		err = json.Unmarshal(raw, &cur)
	}
	if err != nil || cur.Offset < 0 || cur.Offset > maxCursorOffset || cur.List != list {
		abort(c, http.StatusBadRequest, codeBadCursor, "cursor is not one this endpoint issued")
		return 0, 0, "", false
	}
	if cur.Query != key {
		abort(c, http.StatusBadRequest, codeBadCursor, "cursor was issued for other filters; keep the filters of the first page")
		return 0, 0, "", false
	}
	if cur.Generation != an.generation {
		abort(c, http.StatusConflict, codeStaleCursor, "the data changed since this cursor was issued; start from the first page")
		return 0, 0, "", false
	}
	return cur.Offset, limit, key, true
}

// maxCursorOffset is beyond any list the API holds; a cursor past it is
// forged, and refusing it keeps offset+limit from overflowing.
const maxCursorOffset = 1 << 31

// next returns the cursor of the page after [offset, offset+limit), or "".
func next(an *analysis, list, key string, offset, limit, total int) string {
	if offset >= total || total-offset <= limit {
		return ""
	}
	return cursor{Generation: an.generation, List: list, Query: key, Offset: offset + limit}.encode()
}
