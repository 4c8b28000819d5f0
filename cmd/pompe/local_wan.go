package main

import (
	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/local"
	"github.com/pompe-bft/pompe/internal/wan"
)

// addLocalWANFlag adds --wan to `pompe local`: the matrix is read before the
// run starts, so a bad file fails before any replica does.
func addLocalWANFlag(cmd *cobra.Command, opts *local.Options) {
	var path string
	cmd.Flags().StringVar(&path, "wan", "", "emulate the wide-area latency matrix of FILE (e.g. wan/four-regions.toml); replicas and clients take its regions round robin")
	prev := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(cmd, args); err != nil {
				return err
			}
		}
		if path == "" {
			return nil
		}
		m, err := wan.ReadFile(path)
		if err != nil {
			return err
		}
		opts.WAN = m
		return nil
	}
	cmd.Example += "\n  pompe local --nodes 16 --wan wan/four-regions.toml --duration 10s"
}
