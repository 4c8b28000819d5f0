package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/node"
)

func newNodeCmd() *cobra.Command {
	var home, byz string
	var faultControl bool
	var targets []string
	cmd := &cobra.Command{
		Use:   "node --home DIR",
		Short: "Run one replica until SIGINT or SIGTERM",
		Long: `node runs the replica whose home directory is DIR (config/config.toml,
config/genesis.toml, config/node_key.toml; data under data/). It stops cleanly
on SIGINT or SIGTERM and exits non-zero if it cannot start or has to stop.`,
		Example: `  pompe node --home ./tn/node0`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := node.Options{FaultControl: faultControl}
			if byz != "" {
				k, err := byzantine.Parse(byz)
				if err != nil {
					return cliexit.Usage(err)
				}
				opts.Byzantine = k
			}
			for _, s := range targets {
				id, err := parseClientID(s)
				if err != nil {
					return cliexit.Usage(fmt.Errorf("--byzantine-target %q: %w", s, err))
				}
				opts.ByzantineTargets = append(opts.ByzantineTargets, id)
			}
			if len(opts.ByzantineTargets) > 0 && opts.Byzantine != byzantine.DelayTS {
				return cliexit.Usage(fmt.Errorf("--byzantine-target needs --byzantine %s", byzantine.DelayTS))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runNode(ctx, home, opts)
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the replica's home directory")
	// Test-only: fault injection through the metrics address.
	cmd.Flags().BoolVar(&faultControl, "fault-control", false, "serve fault-injection endpoints on the metrics address (tests only)")
	_ = cmd.Flags().MarkHidden("fault-control")
	// Test-only: a deliberately Byzantine replica.
	cmd.Flags().StringVar(&byz, "byzantine", "", "TESTS ONLY: misbehave as this kind of Byzantine replica ("+byzantine.Names()+")")
	cmd.Flags().StringSliceVar(&targets, "byzantine-target", nil, "TESTS ONLY: client ids (hex) whose timestamps delay-ts delays (default: ids hashing even)")
	_ = cmd.Flags().MarkHidden("byzantine")
	_ = cmd.Flags().MarkHidden("byzantine-target")
	return cmd
}

func parseClientID(s string) (crypto.ClientID, error) {
	var id crypto.ClientID
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("want %d hex digits", 2*len(id))
	}
	copy(id[:], b)
	return id, nil
}

func runNode(ctx context.Context, home string, opts node.Options) error {
	n, err := node.Open(home, opts)
	if errors.Is(err, config.ErrNotAHome) {
		return cliexit.Usage(fmt.Errorf("--home %w", err))
	}
	if err != nil {
		return err
	}
	// GOMEMLIMIT, when set, has already been applied by the runtime.
	if mib := n.Home().Config.Node.MemoryLimitMiB; mib > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(mib) << 20)
	}
	return n.Run(ctx)
}
