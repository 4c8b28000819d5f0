package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/faults"
	"github.com/pompe-bft/pompe/internal/local"
)

// addLocalFaultsFlag adds --faults to `pompe local`.
func addLocalFaultsFlag(cmd *cobra.Command, opts *local.Options) {
	cmd.Flags().StringVar(&opts.Faults, "faults", "",
		"inject faults during the load: a preset ("+strings.Join(faults.Presets, ", ")+
			") or a TOML schedule file of [[fault]] entries (at, duration, kind, replica(s), params); "+
			"the summary adds the faults, lost_acknowledged and recovery_s")
	cmd.Example += `
  pompe local --faults mixed --duration 30s --json
  pompe local --nodes 7 --faults partition --duration 20s`
}
