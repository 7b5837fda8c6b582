package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
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
