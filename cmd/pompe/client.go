package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
	"github.com/pompe-bft/pompe/pkg/client"
)

type clientFlags struct {
	testnetDir string
	keyFile    string
	index      int
	timeout    time.Duration
	connect    time.Duration
}

func newClientCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "client --testnet DIR [--key FILE | --client K] put KEY VALUE | get KEY | delete KEY",
		Short: "Run one key-value command against a running cluster",
		Long: `client submits one command of the built-in key-value store to a running
testnet through the client library and prints the result once f+1 replicas
agree on it. The command is numbered from the current time, so repeated
invocations with one key are never mistaken for duplicates. Every client key
has its own key namespace: --client 1 reads and writes other keys than
--client 0, whatever their names.`,
		Example: `  pompe client --testnet ./tn put greeting hello
  pompe client --testnet ./tn get greeting
  pompe client --testnet ./tn --client 1 delete greeting`,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&cf.testnetDir, "testnet", "", "testnet directory (holds testnet.toml)")
	f.StringVar(&cf.keyFile, "key", "", "client key file (default: the testnet's client key --client)")
	f.IntVar(&cf.index, "client", 0, "index of the testnet client key to use")
	f.DurationVar(&cf.timeout, "timeout", 30*time.Second, "give up after this long")
	f.DurationVar(&cf.connect, "connect-timeout", 5*time.Second, "give up if too few replicas accept a connection within this long")
	cmd.AddCommand(
		&cobra.Command{
			Use: "put KEY VALUE", Short: "Store VALUE under KEY", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runKV(cmd, cf, kvstore.EncodePut([]byte(args[0]), []byte(args[1])), func(r kvstore.Result) string {
					if r.Found {
						return "OK (replaced)"
					}
					return "OK"
				})
			},
		},
		&cobra.Command{
			Use: "get KEY", Short: "Print the value under KEY", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runKV(cmd, cf, kvstore.EncodeGet([]byte(args[0])), func(r kvstore.Result) string {
					if !r.Found {
						return "(not found)"
					}
					return string(r.Value)
				})
			},
		},
		&cobra.Command{
			Use: "delete KEY", Short: "Remove KEY", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runKV(cmd, cf, kvstore.EncodeDelete([]byte(args[0])), func(r kvstore.Result) string {
					if !r.Found {
						return "OK (was not present)"
					}
					return "OK"
				})
			},
		},
	)
	return cmd
}

func (cf clientFlags) load() (*config.Genesis, crypto.PrivateKey, error) {
	if cf.testnetDir == "" {
		return nil, crypto.PrivateKey{}, cliexit.Usage(fmt.Errorf("--testnet is required"))
	}
	ci, err := testnet.LoadClusterInfo(cf.testnetDir)
	if err != nil {
		return nil, crypto.PrivateKey{}, err
	}
	path := cf.keyFile
	if path == "" {
		if cf.index < 0 || cf.index >= len(ci.ClientKeyFiles) {
			return nil, crypto.PrivateKey{}, cliexit.Usage(fmt.Errorf("--client %d: the testnet has %d client keys", cf.index, len(ci.ClientKeyFiles)))
		}
		path = ci.ClientKeyFiles[cf.index]
	}
	key, err := config.ReadKeyFile(path)
	if err != nil {
		return nil, crypto.PrivateKey{}, err
	}
	return &ci.Genesis, key, nil
}

// runKV submits payload and prints the decoded result.
func runKV(cmd *cobra.Command, cf clientFlags, payload []byte, show func(kvstore.Result) string) error {
	g, key, err := cf.load()
	if err != nil {
		return err
	}
	cfg, err := client.FromGenesis(g, key)
	if err != nil {
		return err
	}
	cfg.FirstSeq = uint64(time.Now().UnixMicro())
	ctx, cancel := context.WithTimeout(cmd.Context(), cf.timeout)
	defer cancel()
	// A stopped cluster fails fast, naming what was tried, rather than
	// after the whole --timeout of silence.
	connectCtx, cancelConnect := context.WithTimeout(ctx, min(cf.connect, cf.timeout))
	c, err := client.New(connectCtx, cfg)
	cancelConnect()
	if err != nil {
		addrs := make([]string, len(g.Replicas))
		for i, r := range g.Replicas {
			addrs[i] = r.ClientAddress
		}
		return fmt.Errorf("could not reach enough replicas within --connect-timeout %v (tried %s; are the replicas running?): %w",
			min(cf.connect, cf.timeout), strings.Join(addrs, ", "), err)
	}
	defer c.Close()
	o, err := c.Do(ctx, payload)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no result within %v: %w", cf.timeout, err)
		}
		return err
	}
	if o.Duplicate {
		return fmt.Errorf("the command executed at height %d, but its result was lost (reported as a duplicate)", o.Height)
	}
	res, err := kvstore.DecodeResult(o.Result)
	if err != nil {
		return err
	}
	if res.Err != "" {
		return fmt.Errorf("the store refused the command: %s", res.Err)
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), show(res))
	return err
}
