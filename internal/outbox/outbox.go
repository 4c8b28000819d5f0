package outbox

import (
	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/hotstuff"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
)

// ClientEnvelope is a message for one client connection.
type ClientEnvelope struct {
	To  crypto.ClientID
	Msg *wire.ClientMessage
	// Early marks a message that depends on no write except those of
	// effects marked Barrier: the driver may send it once every earlier or
	// same Ready with Barrier is durable, without waiting for the sync of
	// other writes. Drivers that ignore it (send after the sync) stay safe.
	Early bool
}

// ExecBatch is one batch of a committed block, in execution order.
type ExecBatch struct {
	Digest batch.Digest
	TS     int64 // assigned timestamp (Pompe), 0 in baseline mode
	Batch  *wire.Batch
}

// ExecBlock is a committed block resolved to its batches in execution order.
type ExecBlock struct {
	Height  uint64
	View    uint64
	Hash    hotstuff.Hash
	Batches []ExecBatch
}

// Resend asks the driver to repeat the Executed reply of an already
// executed batch to its submitter (the first reply may have been lost).
type Resend struct {
	Client crypto.ClientID
	Digest batch.Digest
}

// Outbox accumulates effects until drained.
type Outbox struct {
	Writes    storage.Batch
	Messages  []hotstuff.Envelope
	Client    []ClientEnvelope
	Committed []ExecBlock
	Resend    []Resend
	// Barrier: Writes hold state that Early messages of this and later
	// Readies depend on (a raised timestamp high-water mark, a raised
	// promise mark).
	Barrier bool
}

// Send queues a message to replica to (or hotstuff.Broadcast).
func (o *Outbox) Send(to int, m *wire.Message) {
	o.Messages = append(o.Messages, hotstuff.Envelope{To: to, Msg: m})
}

// SendEarly queues a message to replica to (or hotstuff.Broadcast) that
// depends on no unsynced write (see hotstuff.Envelope.Early).
func (o *Outbox) SendEarly(to int, m *wire.Message) {
	o.Messages = append(o.Messages, hotstuff.Envelope{To: to, Msg: m, Early: true})
}

// SendClient queues a message to a client.
func (o *Outbox) SendClient(to crypto.ClientID, m *wire.ClientMessage) {
	o.Client = append(o.Client, ClientEnvelope{To: to, Msg: m})
}

// SendClientEarly queues a message to a client that depends only on writes
// marked Barrier (see ClientEnvelope.Early).
func (o *Outbox) SendClientEarly(to crypto.ClientID, m *wire.ClientMessage) {
	o.Client = append(o.Client, ClientEnvelope{To: to, Msg: m, Early: true})
}
