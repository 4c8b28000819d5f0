package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/cliexit"

	"github.com/pompe-bft/pompe/internal/k8s"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/internal/wan"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code. Errors are
// printed on one line, prefixed with "pompe-k8s:".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cliexit.Run(ctx, newRootCmd(stdout, stderr), args, stderr, "pompe-k8s", "Run 'pompe-k8s --help' for usage.")
}

// k8sFlags are the command's options.
type k8sFlags struct {
	testnet testnet.Options
	mode    string
	wanFile string
	kube    k8s.Options
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	var x k8sFlags
	cmd := &cobra.Command{
		Use:   "pompe-k8s --out DIR [flags]",
		Short: "Generate a testnet whose replicas are Kubernetes pods, and the manifests that run them",
		Long: `pompe-k8s writes what 'pompe testnet' writes (one home per replica, client
key files, testnet.toml), with every replica addressed by the DNS name of
its pod, and OUT/k8s/pompe.yaml: a headless Service and per replica a
StatefulSet of one pod, a Secret with its node key and a ConfigMap with its
config and the genesis. OUT/k8s/README.txt says how to apply them. Pods run
the image of deploy/Dockerfile, which holds the pompe binary only; see
docs/kubernetes.md.`,
		Example: `  pompe-k8s --nodes 7 --clients 4 --image registry.example.com/pompe:v1 --out ./k7
  go run ./cmd/pompe-k8s --nodes 4 --namespace bft --storage 10Gi --out ./k4`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		PreRunE:       func(cmd *cobra.Command, _ []string) error { return validateFlags(cmd.Flags()) },
		RunE:          func(cmd *cobra.Command, _ []string) error { return generate(cmd.OutOrStdout(), x) },
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.StringVar(&x.testnet.OutDir, "out", "", "directory to write the testnet and its manifests to (must not hold one already)")
	f.IntVarP(&x.testnet.N, "nodes", "n", testnet.DefaultN, "number of replicas")
	f.IntVar(&x.testnet.Clients, "clients", 1, "number of client key files")
	f.BoolVar(&x.testnet.Allowlist, "allowlist", false, "admit only the generated clients: list their keys in the genesis client allowlist")
	f.StringVar(&x.mode, "mode", "pompe", "protocol: pompe or hotstuff (the baseline)")
	f.IntVar(&x.testnet.BasePeerPort, "base-peer-port", testnet.DefaultBasePeerPort, "port every replica listens on for replicas, in its own pod")
	f.IntVar(&x.testnet.BaseClientPort, "base-client-port", testnet.DefaultBaseClientPort, "port every replica listens on for clients, in its own pod")
	f.StringVar(&x.wanFile, "wan", "", "emulate the wide-area latency matrix of FILE between replicas (regions round robin)")
	f.StringVar(&x.kube.Namespace, "namespace", k8s.DefaultNamespace, "Kubernetes namespace of every object, and part of every replica's address")
	f.StringVar(&x.kube.Image, "image", k8s.DefaultImage, "container image the pods run, built from deploy/Dockerfile")
	f.StringVar(&x.kube.StorageSize, "storage", k8s.DefaultStorageSize, "size of each replica's data volume claim")
	return cmd
}

// generate writes the testnet, then its manifests, as `pompe testnet
// --k8s` did: the emulation first, then the pods' addresses.
func generate(w io.Writer, x k8sFlags) error {
	opts := x.testnet
	opts.Mode = parseMode(x.mode) // checked by validateFlags
	if x.wanFile != "" {
		if err := wan.ConfigureTestnet(x.wanFile, &opts); err != nil {
			return err
		}
	}
	if err := k8s.ConfigureTestnet(&opts, x.kube); err != nil {
		return cliexit.Usage(err)
	}
	if err := testnet.Generate(opts); err != nil {
		return err
	}
	ci, err := testnet.LoadClusterInfo(opts.OutDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s testnet %s of %d replicas in %s\n", ci.Genesis.Mode, ci.Genesis.ClusterID, len(ci.Homes), opts.OutDir)
	for i, r := range ci.Genesis.Replicas {
		fmt.Fprintf(w, "  replica %d: pod %s, peers on %s, clients on %s\n", i, k8s.PodName(i), r.PeerAddress, r.ClientAddress)
	}
	if len(ci.ClientKeyFiles) > 0 {
		fmt.Fprintf(w, "  %d client keys in %s\n", len(ci.ClientKeyFiles), filepath.Join(opts.OutDir, testnet.ClientsDirName))
	}
	fmt.Fprintf(w, "summary: %s\n", filepath.Join(opts.OutDir, testnet.SummaryFileName))
	file, err := k8s.Write(opts.OutDir, x.kube)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "kubernetes manifests: %s (see %s)\n", file, filepath.Join(filepath.Dir(file), k8s.ReadmeName))
	return nil
}
