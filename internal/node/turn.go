package node

import (
	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
)

// clientTurnBytes bounds the batch bytes of client messages one turn of the
// loop steps. Stepping a timestamp or sequence request hashes and decodes
// its batch on the loop (about 5 ms for a 4 MB batch on an idle core, many
// times that on a loaded one), and the turn's votes and proposals leave
// only when the turn ends: without a bound, a client sending 3.9 MB batches
// as fast as the connection takes them had several of them stepped in one
// turn, held every vote back by tens of milliseconds, and leaders timed out
// (14 timeout certificates in 10 s) while correct clients kept a quarter
// of their throughput. With it, a turn ends after at most one message past
// the bound, its output leaves, and replica messages are stepped first in
// the next.
const clientTurnBytes = 1 << 20

// clientWork is the batch bytes stepping m hashes and decodes: what a
// client message costs the loop, beyond a small constant.
func clientWork(m *wire.ClientMessage) int {
	switch b := m.GetBody().(type) {
	case *wire.ClientMessage_TimestampRequest:
		return len(b.TimestampRequest.GetBatch())
	case *wire.ClientMessage_SequenceRequest:
		return len(b.SequenceRequest.GetBatch())
	}
	return 0
}

// turnInputs are the loop's two input queues and what it does with each
// message.
type turnInputs struct {
	in     <-chan transport.Inbound
	cin    <-chan transport.ClientInbound
	peer   func(transport.Inbound)
	client func(transport.ClientInbound)
}

// drain steps queued inputs without blocking, after the turn's first input
// (inputs counts it; clientBytes is its clientWork if it was a client
// message), until both queues are empty, maxInputsPerTurn inputs were
// stepped, or client messages of clientTurnBytes were: replica messages
// always go first, and client messages past the byte bound wait for the
// next turn. It returns the number of inputs stepped, the first included.
func (t turnInputs) drain(inputs, clientBytes int) int {
	for inputs < maxInputsPerTurn {
		select {
		case m, ok := <-t.in:
			if !ok {
				return inputs
			}
			t.peer(m)
			inputs++
			continue
		default:
		}
		if clientBytes >= clientTurnBytes {
			return inputs
		}
		select {
		case m, ok := <-t.in:
			if !ok {
				return inputs
			}
			t.peer(m)
		case m, ok := <-t.cin:
			if !ok {
				return inputs
			}
			clientBytes += clientWork(m.Msg)
			t.client(m)
		default:
			return inputs
		}
		inputs++
	}
	return inputs
}
