package main

import (
	"io"

	"github.com/spf13/cobra"
)

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pompe",
		Short: "Run, load and check Pompe Byzantine ordered consensus clusters",
		Long: `pompe runs Pompe, Byzantine ordered consensus on chained HotStuff, and the
plain HotStuff baseline it is measured against.

A first run on this machine (4 replicas, 4 clients, 30 s, then a checked summary):

  pompe local

A cluster that stays up:

  pompe testnet --nodes 4 --clients 2 --out ./tn
  pompe node --home ./tn/node0     # one per replica, each in its own terminal
  pompe client --testnet ./tn put greeting hello`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newVersionCmd(),
		newTestnetCmd(),
		newNodeCmd(),
		newClientCmd(),
		newLocalCmd(),
		newSoakCmd(),
		newSimCmd(),
		newCheckCmd(),
		newBenchCmd(),
		newReportCmd(),
		newClusterCmd(),
	)
	return root
}
