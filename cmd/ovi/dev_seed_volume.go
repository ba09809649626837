package main

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// seedDevVolume creates one EBS volume someone else owns (a scratch volume
// of the data team), so dev mode shows an unmanaged volume being reported and
// left alone.
func seedDevVolume(ctx context.Context, client *ec2.Client) error {
	_, err := client.CreateVolume(ctx, &ec2.CreateVolumeInput{
		AvailabilityZone: awssdk.String("us-east-1a"), Size: awssdk.Int32(50), VolumeType: ec2types.VolumeTypeGp3,
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeVolume,
			Tags:         []ec2types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("data")}},
		}},
	})
	if err != nil {
		return fmt.Errorf("volume: %w", err)
	}
	return nil
}
