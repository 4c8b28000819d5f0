package main

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/attack"
	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// newAttackCmd is the hidden `pompe attack`: one of internal/attack's
// hostile clients against a testnet's replicas until interrupted. `pompe
// local --attack` runs it as a separate process (at the lowest CPU
// priority), so the attacker does not starve the load generator.
func newAttackCmd() *cobra.Command {
	var (
		testnetDir, kind string
		conns, dialRate  int
		targets          []int
	)
	cmd := &cobra.Command{
		Use:    "attack --testnet DIR --kind KIND",
		Short:  "TESTS ONLY: run a hostile client against a testnet's replicas until interrupted",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := attack.Parse(kind)
			if err != nil {
				return cliexit.Usage(err)
			}
			if dialRate < 0 {
				return cliexit.Usage(fmt.Errorf("--dial-rate %d: must not be negative", dialRate))
			}
			info, err := testnet.LoadClusterInfo(testnetDir)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			var st attack.Stats
			err = attack.Run(ctx, attack.Options{Kind: k, Genesis: &info.Genesis, Conns: conns, Targets: targets, DialRate: dialRate}, &st)
			fmt.Fprintf(cmd.OutOrStdout(), "attack %s: %s\n", k, st.String())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&testnetDir, "testnet", "", "testnet directory (from pompe testnet)")
	f.StringVar(&kind, "kind", "", "attack: "+attack.Names())
	f.IntVar(&conns, "conns", 0, "connections per attacked replica (0: the kind's default)")
	f.IntVar(&dialRate, "dial-rate", attack.DefaultDialRate, "dials per second, all replicas together (0: unbounded)")
	f.IntSliceVar(&targets, "targets", nil, "replica indexes attacked (default: all)")
	_ = cmd.MarkFlagRequired("testnet")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}
