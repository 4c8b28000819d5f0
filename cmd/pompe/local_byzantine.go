package main

import (
	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/attack"
	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/local"
)

// addLocalByzantineFlag adds --byzantine to `pompe local`.
func addLocalByzantineFlag(cmd *cobra.Command, opts *local.Options) {
	cmd.Flags().StringVar(&opts.Byzantine, "byzantine", "",
		"TESTS ONLY: run KIND[:COUNT] Byzantine replicas (COUNT at most f, default f; replicas 0..COUNT-1), left out of the checks; kinds: "+
			byzantine.Names()+"; the summary adds byzantine {kind, replicas, lost_acknowledged}")
	cmd.Example += `
  pompe local --byzantine reverse-ts --duration 10s --json
  pompe local --mode hotstuff --nodes 7 --byzantine equivocate:2`
}

// addLocalAttackFlag adds the hidden --attack to `pompe local`: a hostile
// client of internal/attack runs against every replica during the load.
func addLocalAttackFlag(cmd *cobra.Command, opts *local.Options) {
	cmd.Flags().StringVar(&opts.Attack, "attack", "",
		"TESTS ONLY: run a hostile client against every replica during the load; kinds: "+attack.Names())
	_ = cmd.Flags().MarkHidden("attack")
	cmd.Flags().IntVar(&opts.AttackDialRate, "attack-dial-rate", attack.DefaultDialRate,
		"TESTS ONLY: the --attack client's dials per second, all replicas together (0: unbounded)")
	_ = cmd.Flags().MarkHidden("attack-dial-rate")
}
