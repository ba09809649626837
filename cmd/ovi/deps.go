package main

// Pins the design's dependency set in go.mod while the packages that use
// them land. Remove an import once real code uses the module.
import (
	_ "github.com/anishathalye/porcupine"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/ec2"
	_ "github.com/goccy/go-yaml"
	_ "github.com/hashicorp/go-metrics"
	_ "github.com/hashicorp/memberlist"
	_ "github.com/hashicorp/raft"
	_ "github.com/hashicorp/raft-boltdb/v2"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/time/rate"
)
