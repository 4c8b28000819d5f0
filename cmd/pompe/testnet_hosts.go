package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/internal/wan"
)

// testnetExtraFlags are the options of `pompe testnet` for clusters beyond
// this machine.
type testnetExtraFlags struct {
	hostsFile string
	listenAll bool
	wanFile   string
}

func addTestnetExtraFlags(cmd *cobra.Command, x *testnetExtraFlags) {
	f := cmd.Flags()
	f.StringVar(&x.hostsFile, "hosts", "", "place replicas on the hosts of FILE (one \"host[:port] [region]\" per line, # comments); --nodes defaults to the number of hosts")
	f.BoolVar(&x.listenAll, "listen-all", false, "replicas listen on 0.0.0.0 at their ports instead of their genesis address (NAT, containers)")
	f.StringVar(&x.wanFile, "wan", "", "emulate the wide-area latency matrix of FILE between replicas (regions from --hosts, else round robin)")
}

// applyTestnetExtraFlags fills opts from the extra flags before Generate.
func applyTestnetExtraFlags(cmd *cobra.Command, x *testnetExtraFlags, opts *testnet.Options) error {
	if x.hostsFile != "" {
		if cmd.Flags().Changed("distinct-ips") || cmd.Flags().Changed("free-ports") || cmd.Flags().Changed("base-ip") {
			return cliexit.Usage(errors.New("--hosts places replicas itself; drop --distinct-ips, --free-ports and --base-ip"))
		}
		hosts, err := testnet.ReadHostsFile(x.hostsFile)
		if err != nil {
			return err
		}
		opts.Hosts = hosts
		if !cmd.Flags().Changed("nodes") {
			opts.N = len(hosts)
			if _, err := crypto.FaultsTolerated(opts.N); err != nil {
				return cliexit.Usage(fmt.Errorf("--hosts %s lists %d hosts and --nodes defaults to that: %v; set --nodes (several replicas then share a host)", x.hostsFile, opts.N, err))
			}
		}
	}
	opts.ListenAll = x.listenAll
	if x.wanFile != "" {
		if err := wan.ConfigureTestnet(x.wanFile, opts); err != nil {
			return err
		}
	}
	return nil
}
