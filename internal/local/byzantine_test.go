package local

import (
	"slices"
	"testing"

	"github.com/pompe-bft/pompe/internal/byzantine"
	"github.com/pompe-bft/pompe/internal/config"
)

func TestParseByzantine(t *testing.T) {
	cases := []struct {
		spec     string
		nodes    int
		mode     config.Mode
		kind     byzantine.Kind
		replicas []int
		bad      bool
	}{
		{spec: "reverse-ts", nodes: 4, mode: config.ModePompe, kind: byzantine.ReverseTS, replicas: []int{0}},
		{spec: "omit", nodes: 7, mode: config.ModePompe, kind: byzantine.Omit, replicas: []int{0, 1}},
		{spec: "omit:1", nodes: 7, mode: config.ModePompe, kind: byzantine.Omit, replicas: []int{0}},
		{spec: "equivocate:3", nodes: 10, mode: config.ModeHotStuff, kind: byzantine.Equivocate, replicas: []int{0, 1, 2}},
		{spec: "reverse-order", nodes: 4, mode: config.ModeHotStuff, kind: byzantine.ReverseOrder, replicas: []int{0}},
		{spec: "omit:2", nodes: 4, mode: config.ModePompe, bad: true},        // more than f
		{spec: "omit:0", nodes: 4, mode: config.ModePompe, bad: true},        // not positive
		{spec: "omit:x", nodes: 4, mode: config.ModePompe, bad: true},        // not a number
		{spec: "silent", nodes: 1, mode: config.ModePompe, bad: true},        // f = 0
		{spec: "lying", nodes: 4, mode: config.ModePompe, bad: true},         // unknown kind
		{spec: "reverse-ts", nodes: 4, mode: config.ModeHotStuff, bad: true}, // no timestamps in hotstuff mode
	}
	for _, tc := range cases {
		kind, replicas, err := parseByzantine(tc.spec, tc.nodes, tc.mode)
		if tc.bad {
			if err == nil {
				t.Errorf("%q with %d nodes (%s): accepted", tc.spec, tc.nodes, tc.mode)
			}
			continue
		}
		if err != nil || kind != tc.kind || !slices.Equal(replicas, tc.replicas) {
			t.Errorf("%q with %d nodes: %q %v %v, want %q %v", tc.spec, tc.nodes, kind, replicas, err, tc.kind, tc.replicas)
		}
	}
}

func TestByzantineOptions(t *testing.T) {
	base := Options{Nodes: 4, Clients: 1, Mode: config.ModePompe, Byzantine: "omit"}
	if err := base.validate(); err != nil {
		t.Fatal(err)
	}
	withFaults := base
	withFaults.Faults = "crash"
	if withFaults.validate() == nil {
		t.Error("--byzantine with --faults accepted")
	}
	r := &runner{o: base}
	if got := r.correctReplicas(); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("correct replicas %v", got)
	}
	if args := r.replicaArgs(nil, 0, "h"); !slices.Equal(args, []string{"node", "--home", "h", "--byzantine", "omit"}) {
		t.Errorf("replica 0 args %v", args)
	}
	if args := r.replicaArgs(nil, 1, "h"); slices.Contains(args, "--byzantine") {
		t.Errorf("a correct replica runs with %v", args)
	}
	if (&runner{o: Options{Nodes: 4}}).correctReplicas() != nil {
		t.Error("without Byzantine replicas every replica is correct (nil)")
	}
}
