package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/node"
)

func newNodeCmd() *cobra.Command {
	var home string
	var faultControl bool
	cmd := &cobra.Command{
		Use:   "node --home DIR",
		Short: "Run one replica until SIGINT or SIGTERM",
		Long: `node runs the replica whose home directory is DIR (config/config.toml,
config/genesis.toml, config/node_key.toml; data under data/). It stops cleanly
on SIGINT or SIGTERM and exits non-zero if it cannot start or has to stop.`,
		Example: `  pompe node --home ./tn/node0`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return usageError{fmt.Errorf("--home is required")}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runNode(ctx, home, faultControl)
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the replica's home directory")
	// Test-only: fault injection through the metrics address.
	cmd.Flags().BoolVar(&faultControl, "fault-control", false, "serve fault-injection endpoints on the metrics address (tests only)")
	_ = cmd.Flags().MarkHidden("fault-control")
	return cmd
}

func runNode(ctx context.Context, home string, faultControl bool) error {
	n, err := node.Open(home, node.Options{FaultControl: faultControl})
	if err != nil {
		return err
	}
	return n.Run(ctx)
}
