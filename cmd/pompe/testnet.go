package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/testnet"
)

func newTestnetCmd() *cobra.Command {
	var (
		opts  testnet.Options
		mode  string
		extra testnetExtraFlags
	)
	cmd := &cobra.Command{
		Use:   "testnet --out DIR [flags]",
		Short: "Generate the home directories and client keys of a cluster on this machine",
		Long: `testnet writes one home directory per replica (config, shared genesis, own key),
client key files and a testnet.toml summary that clients and benchmarks read.
Addresses are on loopback unless --hosts FILE places the replicas on other
machines (several per host when --nodes exceeds the hosts; the k-th replica on
a host uses the base ports + k, or the port on its line + k). --wan FILE writes
each replica's link emulation from a latency matrix and the regions of the
hosts file (round robin where a line has none). Kubernetes manifests are
written by their own command, pompe-k8s (go run ./cmd/pompe-k8s --help).`,
		Example: `  pompe testnet --nodes 4 --clients 2 --out ./tn
  pompe testnet --nodes 4 --clients 2 --allowlist --out ./closed
  pompe testnet --nodes 7 --mode hotstuff --distinct-ips --free-ports --out ./tn7
  pompe testnet --hosts hosts.txt --nodes 16 --clients 8 --out ./cluster
  pompe testnet --nodes 16 --distinct-ips --wan wan/four-regions.toml --out ./tn16`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := parseMode(mode)
			if err != nil {
				return err
			}
			opts.Mode = m
			if err := applyTestnetExtraFlags(cmd, &extra, &opts); err != nil {
				return err
			}
			if err := testnet.Generate(opts); err != nil {
				return err
			}
			return printTestnet(cmd, opts.OutDir)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.OutDir, "out", "", "directory to write the testnet to (must not hold one already)")
	f.IntVarP(&opts.N, "nodes", "n", testnet.DefaultN, "number of replicas")
	f.IntVar(&opts.Clients, "clients", 1, "number of client key files")
	f.BoolVar(&opts.Allowlist, "allowlist", false, "admit only the generated clients: list their keys in the genesis client allowlist")
	f.StringVar(&mode, "mode", "pompe", "protocol: pompe or hotstuff (the baseline)")
	f.StringVar(&opts.BaseIP, "base-ip", testnet.DefaultBaseIP, "loopback IP of every replica (unless --distinct-ips)")
	f.BoolVar(&opts.DistinctIPs, "distinct-ips", false, "give replica i the address 127.0.0.(i+1)")
	f.BoolVar(&opts.FreePorts, "free-ports", false, "pick free ports instead of consecutive ones from the base ports")
	f.IntVar(&opts.BasePeerPort, "base-peer-port", testnet.DefaultBasePeerPort, "replica i listens for replicas on this port + i")
	f.IntVar(&opts.BaseClientPort, "base-client-port", testnet.DefaultBaseClientPort, "replica i listens for clients on this port + i")
	addTestnetExtraFlags(cmd, &extra)
	addRetiredK8sFlags(cmd)
	return cmd
}

func printTestnet(cmd *cobra.Command, dir string) error {
	ci, err := testnet.LoadClusterInfo(dir)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s testnet %s of %d replicas in %s\n", ci.Genesis.Mode, ci.Genesis.ClusterID, len(ci.Homes), dir)
	for i, r := range ci.Genesis.Replicas {
		fmt.Fprintf(w, "  replica %d: home %s, peers on %s, clients on %s\n", i, ci.Homes[i], r.PeerAddress, r.ClientAddress)
	}
	if len(ci.ClientKeyFiles) > 0 {
		fmt.Fprintf(w, "  %d client keys in %s\n", len(ci.ClientKeyFiles), filepath.Join(dir, testnet.ClientsDirName))
	}
	fmt.Fprintf(w, "summary: %s\n", filepath.Join(dir, testnet.SummaryFileName))
	fmt.Fprintf(w, "start each replica with: pompe node --home %s\n", filepath.Join(dir, "nodeN"))
	return nil
}
