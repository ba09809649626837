package main

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// seedDevGroup creates a security group someone else made by hand (SSH
// from one office range, in the default VPC), so the first plan shows an
// unmanaged security group beside the unmanaged instances.
func seedDevGroup(ctx context.Context, client *ec2.Client) error {
	out, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: awssdk.String("legacy-admin"), Description: awssdk.String("hand-made admin access"),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags:         []ec2types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("data")}},
		}},
	})
	if err != nil {
		return fmt.Errorf("dev: seeding a security group: %w", err)
	}
	_, err = client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: out.GroupId,
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol: awssdk.String("tcp"), FromPort: awssdk.Int32(22), ToPort: awssdk.Int32(22),
			IpRanges: []ec2types.IpRange{{CidrIp: awssdk.String("203.0.113.0/24")}},
		}},
	})
	if err != nil {
		return fmt.Errorf("dev: seeding a security group rule: %w", err)
	}
	return nil
}
