package fetch

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectAccountPublicAccessBlock reads the account-level S3 Block Public
// Access setting into Inventory.S3AccountPublicAccessBlock. It belongs to
// the global "s3" area: a failed read fails that area (every bucket's public
// decision depends on it), while "none configured" leaves the field nil.
func (s *session) collectAccountPublicAccessBlock(ctx context.Context) {
	ep := customEndpoint(s.cfg, &s.opts, sdkServiceS3Control)
	c := s3control.NewFromConfig(s.cfg, func(o *s3control.Options) {
		if ep != "" {
			o.EndpointResolverV2 = fixedS3ControlEndpoint{ep}
		}
	})
	out, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(s.inv.AccountID)})
	switch {
	case err == nil && out.PublicAccessBlockConfiguration != nil:
		cf := out.PublicAccessBlockConfiguration
		s.inv.S3AccountPublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: aws.ToBool(cf.BlockPublicAcls),
			IgnorePublicACLs: aws.ToBool(cf.IgnorePublicAcls), BlockPublicPolicy: aws.ToBool(cf.BlockPublicPolicy),
			RestrictPublicBuckets: aws.ToBool(cf.RestrictPublicBuckets)}
	case err != nil && !hasCode(err, "NoSuchPublicAccessBlockConfiguration"):
		s.fail(ServiceS3, "", err)
	}
}

// fixedS3ControlEndpoint sends every S3 Control request to one endpoint as
// is. The SDK's rules put the account id in front of the host
// ({account}.s3-control...), which an emulator on 127.0.0.1 cannot serve;
// the account id still travels in the x-amz-account-id header.
type fixedS3ControlEndpoint struct{ endpoint string }

func (f fixedS3ControlEndpoint) ResolveEndpoint(_ context.Context, _ s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(f.endpoint)
	if err != nil {
		return smithyendpoints.Endpoint{}, fmt.Errorf("s3 control endpoint %q: %w", f.endpoint, err)
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
