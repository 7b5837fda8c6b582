package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Stable error codes of the error JSON. Clients switch on them; messages are
// for people and may change.
const (
	codeBadRequest       = "bad_request"
	codeBadParameter     = "bad_parameter"
	codeBadCursor        = "bad_cursor"
	codeStaleCursor      = "stale_cursor"
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeBodyTooLarge     = "body_too_large"
	codeRateLimited      = "rate_limited"
	codeTooLarge         = "response_too_large"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
	codeTimeout          = "timeout"
	codeForeignHost      = "foreign_host"
	codeBusy             = "busy"
)

// ErrorBody is the JSON of every 4xx/5xx answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the failure with a stable code and a readable message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// abort ends the request with the error JSON.
func abort(c *gin.Context, status int, code, msg string) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

func badParam(c *gin.Context, msg string) { abort(c, http.StatusBadRequest, codeBadParameter, msg) }

func notFound(c *gin.Context, msg string) { abort(c, http.StatusNotFound, codeNotFound, msg) }
