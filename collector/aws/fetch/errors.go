package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// hasCode reports whether err is an AWS API error with one of the codes.
func hasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// reason renders err as the one-line reason recorded in Coverage.Failed:
// "<Service> <Operation>: <Code>: <message> (<attempts>)".
func reason(err error) string {
	var b strings.Builder
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		fmt.Fprintf(&b, "%s %s: ", oe.Service(), oe.Operation())
	}
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		b.WriteString("canceled")
	case errors.Is(err, context.DeadlineExceeded):
		b.WriteString("timed out")
	case errors.As(err, &ae):
		b.WriteString(ae.ErrorCode())
		if m := ae.ErrorMessage(); m != "" {
			b.WriteString(": " + m)
		}
		if errors.As(err, &re) && ae.ErrorCode() == "" {
			fmt.Fprintf(&b, "HTTP %d", re.HTTPStatusCode())
		}
	case errors.As(err, &re):
		fmt.Fprintf(&b, "HTTP %d", re.HTTPStatusCode())
	case errors.As(err, &ne):
		b.WriteString("network error: " + ne.Error())
	default:
		b.WriteString(err.Error())
	}
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) {
		fmt.Fprintf(&b, " (gave up after %d attempts)", me.Attempt)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// notEnabledCodes are error codes with which AWS says a service is not
// enabled for the account or not offered in the region.
var notEnabledCodes = []string{
	"SubscriptionRequiredException", "OptInRequired", "OptInRequiredException",
	"UnsupportedOperation", "UnknownOperationException", "InvalidAction",
}

// serviceNotEnabled reports whether err says that the service is not
// enabled, subscribed or offered (rather than that the caller lacks a
// permission or the service failed). An access denial counts only when its
// message says so ("Macie is not enabled", "not subscribed"). Network
// errors never count: an unreachable endpoint is a failure, whatever the
// reason.
func serviceNotEnabled(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if hasCode(err, notEnabledCodes...) {
		return true
	}
	// A service the endpoint does not offer at all answers 404 without a
	// modelled error code (not-found codes such as NoSuchBucket are modelled).
	var re *smithyhttp.ResponseError
	var ae smithy.APIError
	if errors.As(err, &re) && re.HTTPStatusCode() == 404 {
		if !errors.As(err, &ae) || slices.Contains([]string{"", "NotFound", "UnknownError", "404"}, ae.ErrorCode()) {
			return true
		}
	}
	if errors.As(err, &ae) {
		msg := strings.ToLower(ae.ErrorMessage())
		for _, m := range []string{"not enabled", "not subscribed", "subscription", "is not available in", "not supported in this region", "not opted in"} {
			if strings.Contains(msg, m) {
				return true
			}
		}
	}
	return false
}
