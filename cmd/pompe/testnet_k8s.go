package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/k8s"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// testnetK8sFlags are the options of `pompe testnet --k8s`.
type testnetK8sFlags struct {
	enabled bool
	opts    k8s.Options
}

func addTestnetK8sFlags(cmd *cobra.Command, x *testnetK8sFlags) {
	f := cmd.Flags()
	f.BoolVar(&x.enabled, "k8s", false, "address replicas as the pods of a Kubernetes StatefulSet and write its manifests to OUT/k8s/")
	f.StringVar(&x.opts.Namespace, "k8s-namespace", k8s.DefaultNamespace, "Kubernetes namespace of the replicas (with --k8s)")
	f.StringVar(&x.opts.Image, "k8s-image", k8s.DefaultImage, "container image the pods run, built from deploy/Dockerfile (with --k8s)")
	f.StringVar(&x.opts.StorageSize, "k8s-storage", k8s.DefaultStorageSize, "size of each replica's data volume claim (with --k8s)")
	cmd.AddCommand(newTestnetK8sHomeCmd())
}

// apply makes Generate address replicas by their pods' DNS names; it runs
// after the other flags so that --wan still applies.
func (x *testnetK8sFlags) apply(cmd *cobra.Command, opts *testnet.Options) error {
	if !x.enabled {
		for _, name := range []string{"k8s-namespace", "k8s-image", "k8s-storage"} {
			if cmd.Flags().Changed(name) {
				return usageError{fmt.Errorf("--%s needs --k8s", name)}
			}
		}
		return nil
	}
	for _, name := range []string{"hosts", "distinct-ips", "free-ports", "base-ip"} {
		if cmd.Flags().Changed(name) {
			return usageError{errors.New("--k8s places replicas in pods; drop --hosts, --distinct-ips, --free-ports and --base-ip")}
		}
	}
	if err := k8s.ConfigureTestnet(opts, x.opts); err != nil {
		return usageError{err}
	}
	return nil
}

// write adds the manifests to the generated testnet in dir.
func (x *testnetK8sFlags) write(cmd *cobra.Command, dir string) error {
	if !x.enabled {
		return nil
	}
	file, err := k8s.Write(dir, x.opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "kubernetes manifests: %s (see %s)\n", file, k8s.ReadmeName)
	return nil
}

func newTestnetK8sHomeCmd() *cobra.Command {
	var from, home string
	var replica int
	cmd := &cobra.Command{
		Use:   "k8s-home --from DIR --replica I --home DIR",
		Short: "Install a pod's replica home (the init step of the --k8s StatefulSets)",
		Long: `k8s-home copies replica I's files from DIR/NAME (its own ConfigMap and
Secret, the only ones its pod mounts) into HOME/config/, the node key
readable by its owner only, and checks that the home loads as replica I.
Each replica's StatefulSet written by 'pompe testnet --k8s' runs it before
'pompe node --home HOME'.`,
		Example: `  pompe testnet k8s-home --from /replica --replica 2 --home /pompe`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := k8s.InstallHome(from, replica, home); err != nil {
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
