package byzantine

import (
	"fmt"
	"strings"
)

// Kind is a Byzantine misbehaviour.
type Kind string

// The misbehaviours. Names are stable: tests, the simulator and the
// --byzantine flags use them.
const (
	Silent     Kind = "silent"     // sends nothing at all
	Equivocate Kind = "equivocate" // as leader, sends conflicting proposals to different replicas
	DoubleVote Kind = "doublevote" // votes for every proposal it sees, ignoring the voting rule
	Garbage    Kind = "garbage"    // sends malformed and forged frames besides its normal ones

	TSPast    Kind = "ts-past"    // signs timestamps far in the past
	TSFuture  Kind = "ts-future"  // signs timestamps far in the future
	TSLie     Kind = "tslie"      // ts-past or ts-future, alternating by digest (the simulator's old name)
	ReverseTS Kind = "reverse-ts" // every later request gets a smaller timestamp than the one before
	DelayTS   Kind = "delay-ts"   // adds a large delay to the timestamps of chosen clients

	Omit         Kind = "omit"          // as leader, drops a sequenced batch from its slot
	Reorder      Kind = "reorder"       // as leader, swaps two entries of its slot
	Invent       Kind = "invent"        // as leader, changes an entry's timestamp
	Future       Kind = "future"        // as leader, collects and proposes a boundary far in the future
	CollectF1    Kind = "collect-f1"    // as leader, collects only from f+1 correct replicas (and itself)
	ReverseOrder Kind = "reverse-order" // as leader, proposes its block's batches in reverse order

	Impersonate  Kind = "impersonate"   // baseline leader, proposes a batch made up in a client's name
	FarCollect   Kind = "far-collect"   // sends collects for a view far ahead that it leads (ordering_attacks.go)
	PoisonReply  Kind = "poison-reply"  // lists chain digests at fresh timestamps in its collect replies
	ProofFlood   Kind = "proof-flood"   // pushes proven batches to every collecting leader, unasked
	FetchAmplify Kind = "fetch-amplify" // asks every replica for one body 1,024 times per request
)

// Kinds lists every misbehaviour.
var Kinds = []Kind{Silent, Equivocate, DoubleVote, Garbage, TSPast, TSFuture, TSLie, ReverseTS, DelayTS,
	Omit, Reorder, Invent, Future, CollectF1, ReverseOrder, Impersonate,
	FarCollect, PoisonReply, ProofFlood, FetchAmplify}

// BaselineKinds are the misbehaviours that mean something without an
// ordering phase (hotstuff mode).
var BaselineKinds = []Kind{Silent, Equivocate, DoubleVote, Garbage, ReverseOrder, Impersonate, FetchAmplify}

// Parse checks a misbehaviour name.
func Parse(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("byzantine: unknown misbehaviour %q (known: %s)", s, Names())
}

// Names lists every misbehaviour, comma separated.
func Names() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Baseline reports whether k means something in hotstuff mode.
func (k Kind) Baseline() bool {
	for _, b := range BaselineKinds {
		if b == k {
			return true
		}
	}
	return false
}

// slotKind reports whether k rewrites a leader's proposals or collects.
func (k Kind) slotKind() bool {
	switch k {
	case Omit, Reorder, Invent, Future, ReverseOrder:
		return true
	}
	return false
}

// timestampKind reports whether k rewrites timestamp replies.
func (k Kind) timestampKind() bool {
	switch k {
	case TSPast, TSFuture, TSLie, ReverseTS, DelayTS:
		return true
	}
	return false
}
