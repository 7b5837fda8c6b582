package fetch

import (
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Service ids as the SDK spells them for per-service endpoint variables
// (AWS_ENDPOINT_URL_<ID>, spaces as underscores, upper case).
const (
	sdkServiceS3        = "S3"
	sdkServiceS3Control = "S3 Control"
)

// customEndpoint returns the endpoint a client of the SDK service id is
// configured to use instead of AWS's own, or "" for AWS's.
//
// The SDK already honours AWS_ENDPOINT_URL (as cfg.BaseEndpoint, loaded by
// config.LoadDefaultConfig) and AWS_ENDPOINT_URL_<SERVICE> for every client.
// The collector needs to know about it for the two clients whose AWS
// endpoints an emulator cannot serve as the SDK would address them: S3
// (virtual-hosted bucket names; path style is needed) and S3 Control (the
// account id is put in front of the host). Precedence follows the SDK's:
// the per-service variable, then Options.Endpoint, then the base endpoint;
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns the variables off.
func customEndpoint(cfg aws.Config, opts *Options, sdkServiceID string) string {
	ignore := strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
	if !ignore {
		name := "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkServiceID, " ", "_"))
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	if opts.Endpoint != "" {
		return opts.Endpoint
	}
	return aws.ToString(cfg.BaseEndpoint)
}
