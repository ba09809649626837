package aws

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Endpoint is the EC2 endpoint the provider's requests go to: the
// configured override (Options.Endpoint, AWS_ENDPOINT_URL_EC2,
// AWS_ENDPOINT_URL, shared config), else the region's default endpoint as
// the SDK resolves it.
func (p *Provider) Endpoint() string { return p.endpoint }

// resolvedEndpoint asks the client's own endpoint resolver, with the
// client's options, which URL its requests use.
func resolvedEndpoint(ctx context.Context, client *ec2.Client, region string) string {
	o := client.Options()
	res := o.EndpointResolverV2
	if res == nil {
		res = ec2.NewDefaultEndpointResolverV2()
	}
	ep, err := res.ResolveEndpoint(ctx, ec2.EndpointParameters{Region: awssdk.String(region), Endpoint: o.BaseEndpoint,
		UseFIPS: awssdk.Bool(false), UseDualStack: awssdk.Bool(false)})
	if err != nil {
		return awssdk.ToString(o.BaseEndpoint)
	}
	return ep.URI.String()
}
