package hotstuff

// Verdict is the payload rules' judgement of a proposed block.
type Verdict int

const (
	// Valid: the payload passed every check; the block may be voted for.
	Valid Verdict = iota
	// Invalid: never vote for this block or any descendant.
	Invalid
	// Wait: data is missing (batch bodies, proofs); the rules are fetching it
	// and the core asks again after later inputs.
	Wait
)

func (v Verdict) String() string {
	switch v {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	default:
		return "wait"
	}
}

// PayloadRules fill and judge block payloads. Baseline mode proposes batch
// digests from a mempool; Pompe proposes timestamp slots. Implementations are
// deterministic and do no I/O; they are driven by the same inputs as the core.
type PayloadRules interface {
	// Build returns the payload of a new block in view extending parent, or
	// ok=false to make the leader wait (nothing to propose yet, or a collect
	// round still running). force asks for a block even when there is nothing
	// new, because the chain holds uncommitted payload that needs more blocks
	// on top to commit. The core calls Build again after later inputs.
	Build(now int64, view uint64, parent *Block, force bool) (payload []byte, ok bool)
	// Validate judges b's payload; parent is b's parent, already validated
	// (or committed). It is called again after Wait.
	Validate(now int64, b *Block, parent *Block) (Verdict, error)
	// Proposed reports a block this replica just proposed, so that rules that
	// need a round trip before the next proposal (Pompe's collect) can start
	// it while the block is being voted on.
	Proposed(b *Block)
	// Committed reports a committed block, in chain order.
	Committed(b *Block)
	// Pending reports work waiting for a block (keeps view timers armed).
	Pending() bool
	// Carries reports whether a payload holds anything to execute.
	Carries(payload []byte) bool
}
