package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"
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
		// The one place every command's flags are checked (flags.go).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return validateFlags(cmd) },
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
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
		newAttackCmd(),
	)
	refuseUnknownVerbs(root)
	return root
}

// refuseUnknownVerbs makes every command that only groups verbs (client,
// cluster) refuse a missing or unknown verb with a usage error, where cobra
// would print the help and exit 0.
func refuseUnknownVerbs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownVerbs(sub)
	}
	if !c.HasParent() || !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		var verbs []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				verbs = append(verbs, sub.Name())
			}
		}
		if len(args) == 0 {
			return cliexit.Usage(fmt.Errorf("%s needs a command: one of %s", cmd.CommandPath(), strings.Join(verbs, ", ")))
		}
		return cliexit.Usage(fmt.Errorf("unknown command %q for %q: want one of %s", args[0], cmd.CommandPath(), strings.Join(verbs, ", ")))
	}
}
