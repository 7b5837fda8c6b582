package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestServiceNotEnabledTellsUnsubscribedFromDenied(t *testing.T) {
	api := func(code, msg string) error {
		return &smithy.OperationError{ServiceID: "X", OperationName: "List", Err: &smithy.GenericAPIError{Code: code, Message: msg}}
	}
	http404 := func(code string) error {
		inner := error(&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 404}}, Err: errors.New("not found")})
		if code != "" {
			inner = &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 404}}, Err: &smithy.GenericAPIError{Code: code}}
		}
		return &smithy.OperationError{ServiceID: "X", OperationName: "List", Err: inner}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"subscription required", api("SubscriptionRequiredException", "The AWS Access Key Id needs a subscription for the service"), true},
		{"opt-in region", api("OptInRequired", "You are not subscribed to this service"), true},
		{"Macie not enabled", api("AccessDeniedException", "Macie is not enabled"), true},
		{"a missing permission is a failure", api("AccessDeniedException", "User is not authorized to perform: lambda:ListFunctions"), false},
		{"throttling is a failure", api("ThrottlingException", "Rate exceeded"), false},
		{"404 without a code: the endpoint does not offer the service", http404(""), true},
		{"404 with a modelled not-found code is an answer about a resource", http404("NoSuchBucket"), false},
		{"an unreachable endpoint is a failure", fmt.Errorf("list: %w", &net.DNSError{Err: "no such host", Name: "macie2.example", IsNotFound: true}), false},
		{"cancellation is not an answer", fmt.Errorf("list: %w", context.Canceled), false},
		{"no error", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serviceNotEnabled(tc.err); got != tc.want {
				t.Errorf("serviceNotEnabled(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
