package fairness

import (
	"cmp"
	"hash/fnv"
)

// Command is one executed command.
type Command struct {
	// Client identifies the command's client. Pairs of commands of one
	// client are not counted: a client's own pipeline is not a fairness
	// question.
	Client uint32
	// SentUs is the reference time: when the client first sent the
	// command, in microseconds, on a clock shared by every client.
	SentUs int64
	// Exec is where the command executed in a correct replica's log.
	Exec Position
	// Target marks a command of a targeted client.
	Target bool
}

// Position is a place in the execution order: block height, batch position
// in the block, command index in the batch. Two commands at equal
// positions count as not in order.
type Position struct {
	Height uint64
	Batch  uint32
	Index  uint32
}

// Compare orders positions by height, then batch, then index.
func (p Position) Compare(q Position) int {
	if c := cmp.Compare(p.Height, q.Height); c != 0 {
		return c
	}
	if c := cmp.Compare(p.Batch, q.Batch); c != 0 {
		return c
	}
	return cmp.Compare(p.Index, q.Index)
}

// EvenHashTarget is the default target predicate: a client is targeted
// when the 32-bit FNV-1a hash of its id is even, the rule by which the
// delay-ts misbehaviour (internal/byzantine) picks its victims when it is
// given none. The parity of FNV-1a is that of the xor of its input bytes,
// which splits real client ids (hashes of public keys) evenly.
func EvenHashTarget(clientID []byte) bool {
	h := fnv.New32a()
	h.Write(clientID)
	return h.Sum32()%2 == 0
}
