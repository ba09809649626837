package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// devInfrastructure is the example desired state dev mode reconciles (the
// same file as deploy/config/infrastructure.yaml; a test keeps them equal).
//
//go:embed devdata/infrastructure.yaml
var devInfrastructure []byte

// devCredentials are the static keys the simulator accepts.
func devCredentials() awssdk.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("OVIDEVACCESSKEY", "ovi-dev-secret", "")
}

// devEnv is what dev mode runs beside the agent: a temporary data dir
// and an embedded EC2 simulator.
type devEnv struct {
	dir      string
	infra    string // the example infrastructure.yaml in dir
	endpoint string
	stopSim  func()
}

// startDev prepares dev mode: a temporary data dir holding the example
// infrastructure.yaml, and the EC2 simulator on a free loopback port,
// seeded with resources Ovi does not manage (seedDevCloud).
func startDev(ctx context.Context, cfg *cluster.Config, logger *slog.Logger) (*devEnv, error) {
	dir, err := os.MkdirTemp("", "ovi-dev-")
	if err != nil {
		return nil, fmt.Errorf("dev: temporary data dir: %w", err)
	}
	infra := filepath.Join(dir, "infrastructure.yaml")
	if err := os.WriteFile(infra, devInfrastructure, 0o600); err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	sim := ec2sim.New(ec2sim.Options{Seed: 1, Logger: logger})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	env := &devEnv{dir: dir, infra: infra, endpoint: url, stopSim: stop}
	if err := seedDevCloud(ctx, url); err != nil {
		env.close()
		return nil, err
	}
	devConfig(cfg, dir, infra)
	logger.Info("dev mode: one-node cluster, simulated EC2", "data_dir", dir, "ec2_endpoint", url, "infrastructure", infra)
	return env, nil
}

// devConfig turns cfg into a one-node cluster in dir, unless flags chose
// otherwise (ports, interval, node name stay as given).
func devConfig(cfg *cluster.Config, dir, infra string) {
	cfg.DataDir = dir
	cfg.BindAddr = "127.0.0.1"
	cfg.BootstrapExpect = 1
	cfg.Infrastructure = infra
	if cfg.NodeName == "" {
		cfg.NodeName = "dev"
	}
}

// reloader builds the configuration a SIGHUP applies in dev mode: the
// file and flags again, turned into the same one-node cluster (without
// this a dev agent's reload would fail on its missing data_dir).
func (d *devEnv) reloader(c *cli.Context) func() (cluster.Config, error) {
	return func() (cluster.Config, error) {
		cfg, err := agentFileAndFlags(c)
		if err != nil {
			return cfg, err
		}
		devConfig(&cfg, d.dir, d.infra)
		return cfg, cfg.Validate()
	}
}

// close stops the simulator and removes the data dir.
func (d *devEnv) close() {
	d.stopSim()
	_ = os.RemoveAll(d.dir)
}

// providers builds providers that talk to the simulator.
func (d *devEnv) providers(logger *slog.Logger) engine.ProviderFactory {
	return func(ctx context.Context, cfg wal.Config, m aws.APIMetrics) (reconcile.Provider, error) {
		p, err := aws.New(ctx, aws.Options{Region: cfg.Region, Endpoint: d.endpoint,
			Credentials: devCredentials(), Logger: logger, Metrics: m})
		if err != nil {
			return nil, fmt.Errorf("dev: provider: %w", err)
		}
		return p, nil
	}
}

// seedDevCloud launches two instances, a security group and a volume someone else
// owns, so the first plan shows what Ovi does with resources it does not
// manage: nothing.
func seedDevCloud(ctx context.Context, endpoint string) error {
	client := ec2.New(ec2.Options{Region: "us-east-1", Credentials: devCredentials(),
		BaseEndpoint: awssdk.String(endpoint)})
	_, err := client.RunInstances(ctx, &ec2.RunInstancesInput{
		MinCount: awssdk.Int32(2), MaxCount: awssdk.Int32(2),
		ImageId: awssdk.String("ami-0a1b2c3d4e5f60002"), InstanceType: ec2types.InstanceTypeT3Small,
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeInstance,
			Tags:         []ec2types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("data")}},
		}},
	})
	if err == nil {
		err = seedDevVolume(ctx, client)
	}
	if err != nil {
		return fmt.Errorf("dev: seeding the simulated cloud: %w", err)
	}
	return seedDevGroup(ctx, client)
}
