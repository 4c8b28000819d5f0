package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pompe-bft/pompe/internal/k8s/k8shome"
)

// The Kubernetes manifests are written by a command of their own,
// cmd/pompe-k8s: building them takes k8s.io/api and apimachinery, which
// would double the cold build of this binary, the one every replica runs.
// `pompe testnet --k8s` and its flags remain, hidden, only to tell whoever
// still types them the command that replaces them (testnetK8sMoved).

// k8sCommand is how the replacement is run from the repository root.
const k8sCommand = "go run ./cmd/pompe-k8s"

// retiredK8sFlags are the flags `pompe testnet --k8s` had, and what each
// is called in pompe-k8s ("" when it has no counterpart there).
var retiredK8sFlags = map[string]string{
	"k8s":           "",
	"k8s-namespace": "namespace",
	"k8s-image":     "image",
	"k8s-storage":   "storage",
}

// k8sRefusedFlags placed replicas, which pods do themselves; --listen-all
// is what pompe-k8s always does.
var k8sRefusedFlags = map[string]bool{"hosts": true, "distinct-ips": true, "free-ports": true, "base-ip": true}

func addRetiredK8sFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Bool("k8s", false, "moved: run "+k8sCommand)
	for _, name := range []string{"k8s-namespace", "k8s-image", "k8s-storage"} {
		f.String(name, "", "moved: run "+k8sCommand)
	}
	for name := range retiredK8sFlags {
		_ = f.MarkHidden(name) // the flag was just defined
	}
	cmd.AddCommand(newTestnetK8sHomeCmd())
}

// testnetK8sMoved refuses the retired Kubernetes flags of `pompe testnet`
// with the pompe-k8s command line that does what they asked for.
func testnetK8sMoved(fs *pflag.FlagSet) error {
	var used []string
	for name := range retiredK8sFlags {
		if fs.Changed(name) {
			used = append(used, "--"+name)
		}
	}
	if len(used) == 0 {
		return nil
	}
	sort.Strings(used)
	what := strings.Join(used, ", ")
	args := []string{k8sCommand}
	var out string
	var refused []string
	fs.Visit(func(f *pflag.Flag) {
		name, retired := retiredK8sFlags[f.Name]
		switch {
		case retired && name == "":
			return
		case retired:
		case k8sRefusedFlags[f.Name]:
			refused = append(refused, "--"+f.Name)
			return
		case f.Name == "listen-all":
			return
		default:
			name = f.Name
		}
		if f.Name == "out" {
			out = shellQuote(f.Value.String())
			return
		}
		if f.Value.Type() == "bool" {
			if f.Value.String() == "true" {
				args = append(args, "--"+name)
			} else {
				args = append(args, "--"+name+"=false")
			}
			return
		}
		args = append(args, "--"+name, shellQuote(f.Value.String()))
	})
	if out != "" {
		args = append(args, "--out", out)
	}
	msg := fmt.Sprintf("%s: the Kubernetes manifests moved to their own command, pompe-k8s (docs/kubernetes.md); run: %s", what, strings.Join(args, " "))
	if len(refused) > 0 {
		msg += fmt.Sprintf(" (pods have their own addresses: %s dropped)", strings.Join(refused, ", "))
	}
	return fmt.Errorf("%s", msg)
}

func newTestnetK8sHomeCmd() *cobra.Command {
	var from, home string
	var replica int
	cmd := &cobra.Command{
		Use:   "k8s-home --from DIR --replica I --home DIR",
		Short: "Install a pod's replica home (the init step of the StatefulSets pompe-k8s writes)",
		Long: `k8s-home copies replica I's files from DIR/NAME (its own ConfigMap and
Secret, the only ones its pod mounts) into HOME/config/, the node key
readable by its owner only, and checks that the home loads as replica I.
Each replica's StatefulSet written by pompe-k8s (cmd/pompe-k8s) runs it
before 'pompe node --home HOME'.`,
		Example: `  pompe testnet k8s-home --from /replica --replica 2 --home /pompe`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := k8shome.InstallHome(from, replica, home); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed replica %d in %s\n", replica, home)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "directory holding the replica's config.toml, genesis.toml and node_key.toml")
	f.IntVar(&replica, "replica", -1, "index of the replica to install")
	f.StringVar(&home, "home", "", "home directory to install into")
	return cmd
}
