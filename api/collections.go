package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/schedule"
)

// CollectionsBody is the answer of GET /api/v1/collections.
type CollectionsBody struct {
	// Scheduled says whether this server runs collections (serve
	// --collect-every); without, Collections is empty.
	Scheduled   bool              `json:"scheduled"`
	Collections []schedule.Status `json:"collections"`
}

// collectionStatuses returns the scheduled targets' statuses (nil: none scheduled).
func (s *Server) collectionStatuses() []schedule.Status {
	if s.cfg.Collections == nil {
		return nil
	}
	return s.cfg.Collections()
}

// collections answers GET /api/v1/collections: the last run of every
// scheduled target.
func (s *Server) collections(c *gin.Context) {
	body := CollectionsBody{Scheduled: s.cfg.Collections != nil, Collections: s.collectionStatuses()}
	if body.Collections == nil {
		body.Collections = []schedule.Status{}
	}
	s.writeJSON(c, http.StatusOK, body)
}
