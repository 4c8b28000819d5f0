package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/faults"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/local"
	"github.com/pompe-bft/pompe/internal/replica"
	"github.com/pompe-bft/pompe/internal/testnet"
	"github.com/pompe-bft/pompe/internal/wan"
)

// Flag validation lives here, in one place for every command: the root
// command's PersistentPreRunE calls validateFlags before any command runs,
// so a bad value is refused with exit code 2 and the flag's name before
// anything starts (no testnet is written, no replica is launched).
//
//   - Every duration flag must not be negative.
//   - flagRules lists, per command, the rule each flag's value must meet.
//   - crossFlagRules lists, per command, the rules that relate flags.
//
// Rules are keyed by the command's path below "pompe" ("testnet",
// "client put"); a command also gets the rules of its parents, so rules on
// persistent flags are written once. A test checks that every rule names a
// command and a flag that exist, so a renamed flag cannot silently lose
// its rule.

// flagRule is the rule one flag's value must meet. check returns what is
// wanted ("want at least 1") when the value fails it.
type flagRule struct {
	flag  string
	check func(fs *pflag.FlagSet, name string) string
}

// flagRules: per command path, the rules of its flags.
var flagRules = map[string][]flagRule{
	"testnet": {
		{"out", required},
		{"nodes", replicaCount},
		{"nodes", between(1, testnet.MaxReplicas)},
		{"clients", between(0, testnet.MaxClients)},
		{"base-peer-port", portNumber},
		{"base-client-port", portNumber},
	},
	"local": {
		{"nodes", replicaCount},
		{"nodes", between(1, local.MaxNodes)},
		{"clients", between(0, local.MaxClients)},
		{"batch", atLeast(1)},
		{"payload", payloadBytes},
		{"inflight", atLeast(1)},
		{"rate", nonNegativeFloat},
		{"duration", positiveDuration},
		{"ready-timeout", positiveDuration},
		{"stop-grace", positiveDuration},
		{"replica-procs", atLeast(0)},
		{"ordering-window", atLeast(0)},
		{"ordering-window", notAbove("inflight")},
	},
	"soak": {
		{"out", requiredBecause("the soak writes its verdict, samples and charts there")},
		{"nodes", replicaCount},
		{"nodes", between(1, local.MaxNodes)},
		{"clients", between(1, local.MaxClients)},
		{"batch", atLeast(1)},
		{"inflight", atLeast(1)},
		{"rate", nonNegativeFloat},
		{"duration", positiveDuration},
		{"sample", positiveDuration},
		{"fault-cycle", positiveDuration},
	},
	"sim": {
		{"seeds", between(1, maxSimSeeds)},
		{"nodes", replicaCount},
		{"clients", atLeast(1)},
		{"workers", atLeast(1)},
		{"duration", atLeastDuration(time.Second, "of simulated time")},
	},
	"bench": {
		{"testnet", required},
		{"clients", atLeast(0)},
		{"client-offset", atLeast(0)},
		{"batch", atLeast(1)},
		{"payload", payloadBytes},
		{"inflight", atLeast(1)},
		{"rate", nonNegativeFloat},
		{"duration", positiveDuration},
	},
	"client": {
		{"client", atLeast(0)},
		{"timeout", positiveDuration},
		{"connect-timeout", positiveDuration},
	},
	"node": {
		{"home", required},
	},
	"check": {
		{"max-examples", atLeast(0)},
	},
	"testnet k8s-home": {
		{"from", required},
		{"replica", atLeast(0)},
		{"home", required},
	},
	"cluster bench": {
		{"batch", atLeast(0)},
		{"inflight", atLeast(0)},
		{"rate", nonNegativeFloat},
	},
}

// crossFlagRules: per command path, rules that relate several flags.
var crossFlagRules = map[string][]func(fs *pflag.FlagSet) error{
	"testnet": {testnetK8sMoved, testnetPortRoom},
	"bench":   {exclusive("inflight", "rate", "--inflight (closed loop) and --rate (open loop) exclude each other")},
	"sim":     {simFaultsForMode},
	"local":   {localFaults, localByzantine, wanFile},
	"soak":    {soakFaults},
}

// localFaults: a fault schedule needs clients (its effect is judged from
// their records), excludes --byzantine, and must load for this cluster.
func localFaults(fs *pflag.FlagSet) error {
	spec, _ := fs.GetString("faults")
	if spec == "" {
		return nil
	}
	if clients, _ := fs.GetInt("clients"); clients == 0 {
		return fmt.Errorf("--faults %s: faults are judged by the clients' records; drop --clients 0", spec)
	}
	if byz, _ := fs.GetString("byzantine"); byz != "" {
		return errors.New("--faults and --byzantine exclude each other")
	}
	n, _ := fs.GetInt("nodes")
	d, _ := fs.GetDuration("duration")
	return loadFaults(spec, n, d)
}

func soakFaults(fs *pflag.FlagSet) error {
	spec, _ := fs.GetString("faults")
	if spec == "" {
		return nil
	}
	n, _ := fs.GetInt("nodes")
	cycle, _ := fs.GetDuration("fault-cycle")
	return loadFaults(spec, n, cycle)
}

func loadFaults(spec string, n int, window time.Duration) error {
	if _, err := crypto.FaultsTolerated(n); err != nil || window <= 0 {
		return nil // refused by the flags' own rules
	}
	if _, err := faults.Load(spec, n, window); err != nil {
		return fmt.Errorf("--faults %s: %s", spec, strings.TrimPrefix(err.Error(), "faults: "))
	}
	return nil
}

// localByzantine: --byzantine KIND[:COUNT] names a known kind that the mode
// uses, and at most f replicas.
func localByzantine(fs *pflag.FlagSet) error {
	spec, _ := fs.GetString("byzantine")
	if spec == "" {
		return nil
	}
	name, countText, hasCount := strings.Cut(spec, ":")
	kind, err := byzantine.Parse(name)
	if err != nil {
		return fmt.Errorf("--byzantine %s: unknown kind %q (known: %s)", spec, name, byzantine.Names())
	}
	if mode, _ := fs.GetString("mode"); strings.EqualFold(strings.TrimSpace(mode), string(config.ModeHotStuff)) && !kind.Baseline() {
		var takes []string
		for _, k := range byzantine.BaselineKinds {
			takes = append(takes, string(k))
		}
		return fmt.Errorf("--byzantine %s: --mode hotstuff has no ordering phase and ignores it; it takes %s", spec, strings.Join(takes, ", "))
	}
	n, _ := fs.GetInt("nodes")
	f, err := crypto.FaultsTolerated(n)
	if err != nil {
		return nil // refused by the rule of --nodes
	}
	if f == 0 {
		return fmt.Errorf("--byzantine %s needs at least 4 replicas; --nodes %d tolerates f = 0", spec, n)
	}
	count := f
	if hasCount {
		if count, err = strconv.Atoi(countText); err != nil || count < 1 {
			return fmt.Errorf("--byzantine %s: count %q, want a positive number", spec, countText)
		}
	}
	if count > f {
		return fmt.Errorf("--byzantine %s: %d Byzantine replicas, but --nodes %d tolerates f = %d", spec, count, n, f)
	}
	return nil
}

// wanFile: the latency matrix must read.
func wanFile(fs *pflag.FlagSet) error {
	path, _ := fs.GetString("wan")
	if path == "" {
		return nil
	}
	if _, err := wan.ReadFile(path); err != nil {
		return fmt.Errorf("--wan %s: %s", path, strings.TrimPrefix(err.Error(), "wan: "))
	}
	return nil
}

// simFaultsForMode refuses a Byzantine behaviour the chosen mode ignores:
// hotstuff mode has no ordering phase, so a timestamp or slot misbehaviour
// would silently test nothing.
func simFaultsForMode(fs *pflag.FlagSet) error {
	mode, _ := fs.GetString("mode")
	faults, _ := fs.GetString("faults")
	if replica.Mode(mode) != replica.ModeBaseline {
		return nil
	}
	var takes []string
	for _, k := range byzantine.BaselineKinds {
		takes = append(takes, string(k))
	}
	for _, part := range strings.Split(faults, ",") {
		k, err := byzantine.Parse(strings.TrimSpace(part))
		if err == nil && !k.Baseline() {
			return fmt.Errorf("--faults %s: --mode %s has no ordering phase and ignores %q; it takes %s, or use --mode %s",
				faults, mode, k, strings.Join(takes, ", "), replica.ModePompe)
		}
	}
	return nil
}

// exclusive refuses two flags set together.
func exclusive(a, b, why string) func(fs *pflag.FlagSet) error {
	return func(fs *pflag.FlagSet) error {
		if fs.Changed(a) && fs.Changed(b) {
			return errors.New(why)
		}
		return nil
	}
}

// required: the flag must be given a non-empty value.
func required(fs *pflag.FlagSet, name string) string { return requiredBecause("")(fs, name) }

func requiredBecause(why string) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		if strings.TrimSpace(fs.Lookup(name).Value.String()) != "" {
			return ""
		}
		if why == "" {
			return "is required"
		}
		return "is required: " + why
	}
}

// validateFlags applies every rule that concerns cmd.
func validateFlags(cmd *cobra.Command) error {
	fs := cmd.Flags()
	var errs []error
	ruled := map[string]bool{}
	for c := cmd; c != nil; c = c.Parent() {
		for _, r := range flagRules[commandKey(c)] {
			ruled[r.flag] = true
		}
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if ruled[f.Name] {
			return // its own rule says what it wants
		}
		var ds []time.Duration
		switch f.Value.Type() {
		case "duration":
			d, _ := fs.GetDuration(f.Name)
			ds = []time.Duration{d}
		case "durationSlice":
			ds, _ = fs.GetDurationSlice(f.Name)
		}
		for _, d := range ds {
			if d < 0 {
				errs = append(errs, fmt.Errorf("--%s %v: want a duration that is not negative", f.Name, d))
				break
			}
		}
	})
	for c := cmd; c != nil; c = c.Parent() {
		path := commandKey(c)
		for _, r := range flagRules[path] {
			if fs.Lookup(r.flag) == nil {
				continue
			}
			if want := r.check(fs, r.flag); want != "" {
				if v := fs.Lookup(r.flag).Value.String(); v != "" {
					errs = append(errs, fmt.Errorf("--%s %s: %s", r.flag, v, want))
				} else {
					errs = append(errs, fmt.Errorf("--%s %s", r.flag, want))
				}
			}
		}
		for _, rule := range crossFlagRules[path] {
			if err := rule(fs); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return cliexit.Usage(errors.Join(dedupe(errs)...))
}

// commandKey is a command's path below the root: "client put".
func commandKey(c *cobra.Command) string {
	var parts []string
	for ; c != nil && c.HasParent(); c = c.Parent() {
		parts = append([]string{c.Name()}, parts...)
	}
	return strings.Join(parts, " ")
}

func dedupe(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// intValue reads an integer flag of any width.
func intValue(fs *pflag.FlagSet, name string) int64 {
	v, _ := strconv.ParseInt(fs.Lookup(name).Value.String(), 10, 64)
	return v
}

// notAbove refuses a value above that of the flag other.
func notAbove(other string) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		if v, limit := intValue(fs, name), intValue(fs, other); v > limit {
			return fmt.Sprintf("want at most --%s (%d)", other, limit)
		}
		return ""
	}
}

func atLeast(min int64) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		if intValue(fs, name) < min {
			return fmt.Sprintf("want at least %d", min)
		}
		return ""
	}
}

// replicaCount: n = 3f+1, so that any two quorums of 2f+1 replicas share a
// correct one (crypto.FaultsTolerated is the rule everywhere).
func replicaCount(fs *pflag.FlagSet, name string) string {
	if _, err := crypto.FaultsTolerated(int(intValue(fs, name))); err != nil {
		return "the number of replicas " + err.Error() + ", so that two quorums of 2f+1 always share a correct replica"
	}
	return ""
}

// payloadBytes: an encoded put of the load generator's own keys, from the
// smallest (empty value) to the largest value the store accepts.
func payloadBytes(fs *pflag.FlagSet, name string) string {
	if v := intValue(fs, name); v < int64(loadgen.MinPayloadBytes) || v > int64(loadgen.MaxPayloadBytes) {
		return fmt.Sprintf("want %d..%d bytes (an encoded put of a load generator key)", loadgen.MinPayloadBytes, loadgen.MaxPayloadBytes)
	}
	return ""
}

func between(lo, hi int64) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		if v := intValue(fs, name); v < lo || v > hi {
			return fmt.Sprintf("want %d..%d", lo, hi)
		}
		return ""
	}
}

func portNumber(fs *pflag.FlagSet, name string) string {
	if v := intValue(fs, name); v < 1 || v > 65535 {
		return "want a port number in 1..65535"
	}
	return ""
}

func nonNegativeFloat(fs *pflag.FlagSet, name string) string {
	if v, _ := fs.GetFloat64(name); !(v >= 0) {
		return "want 0 or more"
	}
	return ""
}

func positiveDuration(fs *pflag.FlagSet, name string) string {
	if d, _ := fs.GetDuration(name); d <= 0 {
		return "want a positive duration"
	}
	return ""
}

func atLeastDuration(min time.Duration, what string) func(*pflag.FlagSet, string) string {
	return func(fs *pflag.FlagSet, name string) string {
		if d, _ := fs.GetDuration(name); d < min {
			return fmt.Sprintf("want at least %v %s", min, what)
		}
		return ""
	}
}

// testnetPortRoom: consecutive ports from each base must fit below 65536
// and must not overlap (unless --free-ports or --hosts place them).
func testnetPortRoom(fs *pflag.FlagSet) error {
	if free, _ := fs.GetBool("free-ports"); free {
		return nil
	}
	if hosts, _ := fs.GetString("hosts"); hosts != "" {
		return nil
	}
	n, _ := fs.GetInt("nodes")
	peer, _ := fs.GetInt("base-peer-port")
	cli, _ := fs.GetInt("base-client-port")
	if n < 1 || peer < 1 || cli < 1 || peer > 65535 || cli > 65535 {
		return nil // refused by the flags' own rules
	}
	for _, p := range []struct {
		name string
		base int
	}{{"base-peer-port", peer}, {"base-client-port", cli}} {
		if p.base+n-1 > 65535 {
			return fmt.Errorf("--%s %d: %d replicas need ports up to %d, above 65535", p.name, p.base, n, p.base+n-1)
		}
	}
	if lo, hi := min(peer, cli), max(peer, cli); hi < lo+n {
		return fmt.Errorf("--base-peer-port %d and --base-client-port %d: the %d consecutive ports from each overlap", peer, cli, n)
	}
	return nil
}

// ruleCommands lists the command paths that have rules, for the test that
// checks every rule against the real command tree.
func ruleCommands() []string {
	var out []string
	for k := range flagRules {
		out = append(out, k)
	}
	for k := range crossFlagRules {
		if _, dup := flagRules[k]; !dup {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// parseMode checks a --mode value.
func parseMode(s string) (config.Mode, error) {
	m := config.Mode(strings.ToLower(strings.TrimSpace(s)))
	if !m.Valid() {
		return "", cliexit.Usage(fmt.Errorf("--mode %q: want %s or %s", s, config.ModePompe, config.ModeHotStuff))
	}
	return m, nil
}

// parseIndexList parses "0,1,2" (empty: nil).
func parseIndexList(flag, s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 0 {
			return nil, cliexit.Usage(fmt.Errorf("--%s %q: want replica indexes like 0,1,2", flag, s))
		}
		out = append(out, n)
	}
	return out, nil
}
