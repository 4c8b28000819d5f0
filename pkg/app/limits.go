package app

import "fmt"

// ResultLimits bound the results of one block. They are part of the
// replicated state machine's definition: every replica passes the same
// limits for every block, so results cut by them are identical everywhere,
// replay after a restart included.
type ResultLimits struct {
	// MaxResultBytes bounds one command's result.
	MaxResultBytes int
	// MaxBatchBytes bounds the results of one batch (one client's reply).
	MaxBatchBytes int
	// MaxTotalBytes bounds the results of the whole block.
	MaxTotalBytes int
}

// Default result limits, used for every zero field of ResultLimits. A
// batch's reply stays well below the 8 MiB frame limit of client
// connections.
const (
	DefaultMaxResultBytes = 1 << 20
	DefaultMaxBatchBytes  = 4 << 20
	DefaultMaxTotalBytes  = 16 << 20
)

// MaxErrorResultBytes is the length up to which a result is small: small
// results always pass and count toward no budget (so an error result, or
// a write's short acknowledgement, is never refused). ErrorResult must
// return no more, for a reason of up to MaxReasonBytes bytes.
const (
	MaxErrorResultBytes = 256
	MaxReasonBytes      = 128
)

// Reasons ResultBudget gives for refusing a result.
const (
	ReasonBatchBudget = "result budget of batch exceeded"
	ReasonBlockBudget = "result budget of block exceeded"
)

// WithDefaults fills the zero fields of l.
func (l ResultLimits) WithDefaults() ResultLimits {
	if l.MaxResultBytes <= 0 {
		l.MaxResultBytes = DefaultMaxResultBytes
	}
	if l.MaxBatchBytes <= 0 {
		l.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	return l
}

// ResultBudget is the rule that decides, command by command in block
// order, which results the limits let through:
//
//  1. A result of at most MaxErrorResultBytes passes and counts toward
//     nothing.
//  2. Otherwise a result longer than MaxResultBytes is refused.
//  3. Otherwise a result that would take the passed results of its batch
//     above MaxBatchBytes, or those of its block above MaxTotalBytes, is
//     refused.
//  4. A result that passes counts toward its batch and its block.
//
// A refused result is replaced by an error result (small by rule 1). So
// one batch's results take at most MaxBatchBytes plus MaxErrorResultBytes
// per command, and one block's at most MaxTotalBytes plus that per command.
// The rule reads nothing but the limits and the sizes in order, so every
// replica decides alike. An application and pompe both apply it.
type ResultBudget struct {
	limits    ResultLimits
	batch     int
	batchUsed int
	blockUsed int
}

// NewResultBudget starts the budget of one block.
func NewResultBudget(limits ResultLimits) *ResultBudget {
	return &ResultBudget{limits: limits.WithDefaults(), batch: -1}
}

// Admit decides on a result of size bytes for a command of batch (commands
// admitted in block order). It returns "" and counts the result if it
// passes, or the reason it is refused.
func (b *ResultBudget) Admit(batch, size int) string {
	if batch != b.batch {
		b.batch, b.batchUsed = batch, 0
	}
	switch {
	case size <= MaxErrorResultBytes:
		return ""
	case size > b.limits.MaxResultBytes:
		return fmt.Sprintf("result of %d bytes exceeds limit %d", size, b.limits.MaxResultBytes)
	case b.batchUsed+size > b.limits.MaxBatchBytes:
		return ReasonBatchBudget
	case b.blockUsed+size > b.limits.MaxTotalBytes:
		return ReasonBlockBudget
	}
	b.batchUsed += size
	b.blockUsed += size
	return ""
}
