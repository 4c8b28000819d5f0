package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/k8s"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/internal/wan"
)

// Flag validation, in one place and in the style of pompe's: every rule
// runs before anything is written, and a bad value is refused with exit
// code 2 and the flag's name. A test checks that every rule names a flag
// that exists.

// flagRule is the rule one flag's value must meet; check returns what is
// wanted ("want at least 1") when the value fails it.
type flagRule struct {
	flag  string
	check func(fs *pflag.FlagSet, name string) string
}

var flagRules = []flagRule{
	{"out", required},
	{"nodes", replicaCount},
	{"nodes", between(1, testnet.MaxReplicas)},
	{"clients", between(0, testnet.MaxClients)},
	{"mode", mode},
	{"base-peer-port", podPort},
	{"base-client-port", podPort},
	{"wan", wanFile},
	{"namespace", kubeOption(func(o *k8s.Options, v string) { o.Namespace = v })},
	{"image", kubeOption(func(o *k8s.Options, v string) { o.Image = v })},
	{"storage", kubeOption(func(o *k8s.Options, v string) { o.StorageSize = v })},
}

func validateFlags(fs *pflag.FlagSet) error {
	var errs []error
	for _, r := range flagRules {
		want := r.check(fs, r.flag)
		switch v := fs.Lookup(r.flag).Value.String(); {
		case want == "":
		case v == "":
			errs = append(errs, fmt.Errorf("--%s %s", r.flag, want))
		default:
			errs = append(errs, fmt.Errorf("--%s %s: %s", r.flag, v, want))
		}
	}
	peer, _ := fs.GetInt("base-peer-port")
	cli, _ := fs.GetInt("base-client-port")
	if peer == cli {
		errs = append(errs, fmt.Errorf("--base-peer-port and --base-client-port are both %d: a pod listens on each", peer))
	}
	if len(errs) == 0 {
		return nil
	}
	return cliexit.Usage(errors.Join(errs...))
}

func required(fs *pflag.FlagSet, name string) string {
	if strings.TrimSpace(fs.Lookup(name).Value.String()) == "" {
		return "is required"
	}
	return ""
}

func intValue(fs *pflag.FlagSet, name string) int64 {
	v, _ := strconv.ParseInt(fs.Lookup(name).Value.String(), 10, 64)
	return v
}

func between(lo, hi int64) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		if v := intValue(fs, name); v < lo || v > hi {
			return fmt.Sprintf("want %d..%d", lo, hi)
		}
		return ""
	}
}

// replicaCount: n = 3f+1, as everywhere (crypto.FaultsTolerated).
func replicaCount(fs *pflag.FlagSet, name string) string {
	if _, err := crypto.FaultsTolerated(int(intValue(fs, name))); err != nil {
		return "the number of replicas " + err.Error() + ", so that two quorums of 2f+1 always share a correct replica"
	}
	return ""
}

// podPort: every pod listens on the same ports, which must not be the
// port the probes read /metrics on.
func podPort(fs *pflag.FlagSet, name string) string {
	v := intValue(fs, name)
	if v < 1 || v > 65535 {
		return "want a port number in 1..65535"
	}
	if v == k8s.DefaultMetricsPort {
		return fmt.Sprintf("%d is the pods' metrics port; pick another", v)
	}
	return ""
}

func parseMode(s string) config.Mode { return config.Mode(strings.ToLower(strings.TrimSpace(s))) }

func mode(fs *pflag.FlagSet, name string) string {
	if !parseMode(fs.Lookup(name).Value.String()).Valid() {
		return fmt.Sprintf("want %s or %s", config.ModePompe, config.ModeHotStuff)
	}
	return ""
}

func wanFile(fs *pflag.FlagSet, name string) string {
	path := fs.Lookup(name).Value.String()
	if path == "" {
		return ""
	}
	if _, err := wan.ReadFile(path); err != nil {
		return strings.TrimPrefix(err.Error(), "wan: ")
	}
	return ""
}

// kubeOption checks one field of k8s.Options, the others at their
// defaults, so that the error names the flag that set it.
func kubeOption(set func(*k8s.Options, string)) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		v := fs.Lookup(name).Value.String()
		if v == "" {
			return "want a value" // an empty one would silently become the default
		}
		o := k8s.Options{}.WithDefaults()
		set(&o, v)
		if err := o.Validate(); err != nil {
			return strings.TrimPrefix(err.Error(), "k8s: ")
		}
		return ""
	}
}
