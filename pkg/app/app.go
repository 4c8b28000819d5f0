package app

// ClientIDBytes is the length of a client id.
const ClientIDBytes = 16

// Command is one client command as the application sees it. Client and Seq
// identify it uniquely across the whole run: a client never reuses a
// sequence number, and pompe never delivers the same (Client, Seq) twice.
type Command struct {
	// Client is the id of the client that issued the command, derived from
	// that client's public key. It is authenticated: a Byzantine client
	// cannot issue commands under another client's id.
	Client [ClientIDBytes]byte
	// Seq is the client's sequence number for this command.
	Seq uint64
	// Payload is the command itself, opaque to pompe. It may be malformed.
	Payload []byte
	// Batch is the index, within the block, of the batch the command came
	// in; commands of one batch are consecutive and their results go back
	// in one reply. Only ResultBudget needs it.
	Batch int
}

// Application is the replicated state machine that pompe drives. See the
// package documentation for the rules an implementation must follow, above
// all determinism.
type Application interface {
	// Execute applies the commands of one committed block, in order, and
	// returns one result per command. It must be deterministic and must not
	// panic on any payload. It must keep its results within limits, as
	// ResultBudget decides, and should decide that before changing state,
	// so that a command whose result is refused changes nothing. pompe
	// applies the same rule to what Execute returns, so an application
	// that ignores the limits still gives bounded replies, but only one
	// that respects them bounds its own memory.
	Execute(height uint64, cmds []Command, limits ResultLimits) [][]byte
	// ErrorResult encodes a failure with a human-readable reason (at most
	// MaxReasonBytes bytes) in the application's own result encoding, so
	// that its clients recognise it. pompe uses it for results that break
	// a limit. It must be deterministic and return at most
	// MaxErrorResultBytes bytes.
	ErrorResult(reason string) []byte
	// Snapshot serializes the whole state. Equal states give equal bytes.
	Snapshot() ([]byte, error)
	// Restore replaces the state with a snapshot. On error the state is
	// left unchanged.
	Restore(snapshot []byte) error
}
