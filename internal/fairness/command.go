package fairness

import (
	"cmp"
	"crypto/sha256"
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
// when the SHA-256 of its id ends in an even byte. (A multiply-xor hash
// such as FNV has the parity of the xor of its input bytes, which splits
// structured ids badly.) Attacks that single out
// clients use the same rule, so their victims are the targeted set here.
func EvenHashTarget(clientID []byte) bool {
	sum := sha256.Sum256(clientID)
	return sum[len(sum)-1]%2 == 0
}
