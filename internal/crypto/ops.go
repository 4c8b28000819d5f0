package crypto

import "sync/atomic"

// Operation counters of this process, for metrics: how many signatures it
// made and how many it checked (each item of a batch counts once; a
// certificate found in the verified cache counts nothing). A replica runs
// as its own process, so these are the replica's own counts. They only
// observe: nothing reads them to decide anything.
var (
	opsSigned   atomic.Uint64
	opsVerified atomic.Uint64
)

// OpCounts is a snapshot of the operation counters.
type OpCounts struct {
	Signed   uint64 // signatures made (Signer.Sign)
	Verified uint64 // signatures checked, singly or as a batch item
}

// Ops returns the process's operation counters.
func Ops() OpCounts {
	return OpCounts{Signed: opsSigned.Load(), Verified: opsVerified.Load()}
}
