package node

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"

	"github.com/pompe-bft/pompe/internal/transport"
	"github.com/pompe-bft/pompe/internal/wire"
)

func timestampRequestOf(n int) *wire.ClientMessage {
	return &wire.ClientMessage{Body: &wire.ClientMessage_TimestampRequest{TimestampRequest: &wire.TimestampRequest{Batch: make([]byte, n)}}}
}

// A turn steps every queued replica message, before client messages, and
// client messages only up to clientTurnBytes of batches (one past it at
// most): a client sending large batches cannot hold a turn's votes back
// behind several of them.
func TestTurnBoundsClientBatchBytes(t *testing.T) {
	big := clientTurnBytes*6/10 + 1 // two of them pass the bound
	tests := []struct {
		name        string
		peers       int
		clients     []int // batch bytes of each queued client message
		firstClient int   // clientWork of the turn's first input
		wantPeers   int
		wantClients int
	}{
		{name: "large batches stop at the bound", peers: 2, clients: []int{big, big, big}, wantPeers: 2, wantClients: 2},
		{name: "after a large first input only replica messages", peers: 3, clients: []int{big}, firstClient: 4 << 20, wantPeers: 3, wantClients: 0},
		{name: "small messages all go", peers: 1, clients: make([]int, 100), wantPeers: 1, wantClients: 100},
		{name: "a flood of small ones stops at the input bound", clients: make([]int, 2*maxInputsPerTurn), wantClients: maxInputsPerTurn - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := make(chan transport.Inbound, tc.peers)
			cin := make(chan transport.ClientInbound, len(tc.clients))
			for range tc.peers {
				in <- transport.Inbound{Msg: &wire.Message{}}
			}
			for _, n := range tc.clients {
				cin <- transport.ClientInbound{Msg: timestampRequestOf(n)}
			}
			var order []string
			turn := turnInputs{in: in, cin: cin,
				peer:   func(transport.Inbound) { order = append(order, "peer") },
				client: func(transport.ClientInbound) { order = append(order, "client") },
			}
			inputs := turn.drain(1, tc.firstClient)
			peers, clients := 0, 0
			for i, o := range order {
				if o == "peer" {
					peers++
					if clients > 0 {
						t.Fatalf("replica message stepped after a client message (position %d of %v)", i, order)
					}
				} else {
					clients++
				}
			}
			if peers != tc.wantPeers || clients != tc.wantClients {
				t.Fatalf("stepped %d replica and %d client messages, want %d and %d", peers, clients, tc.wantPeers, tc.wantClients)
			}
			if inputs != 1+peers+clients {
				t.Fatalf("drain reported %d inputs, stepped %d after the first", inputs, peers+clients)
			}
		})
	}
}

func TestClientWork(t *testing.T) {
	tests := []struct {
		m    *wire.ClientMessage
		want int
	}{
		{timestampRequestOf(123), 123},
		{&wire.ClientMessage{Body: &wire.ClientMessage_SequenceRequest{SequenceRequest: &wire.SequenceRequest{Batch: make([]byte, 77)}}}, 77},
		{&wire.ClientMessage{}, 0},
	}
	for _, tc := range tests {
		if got := clientWork(tc.m); got != tc.want {
			t.Errorf("clientWork(%v) = %d, want %d", tc.m, got, tc.want)
		}
	}
}

// A correct client's request reaches the loop after at most about one
// request of a source that queued many large ones before it, not after all
// of them (runClientQueue serves source prefixes fairly).
func TestClientQueueIsFairBetweenSources(t *testing.T) {
	flood := netip.MustParsePrefix("127.0.100.0/24")
	correct := netip.MustParsePrefix("127.0.0.0/24")
	const floods = 6
	src := make(chan transport.ClientInbound, floods+1)
	for range floods {
		src <- transport.NewClientInbound(crypto.ClientID{1}, timestampRequestOf(4<<20), flood)
	}
	small := timestampRequestOf(100)
	src <- transport.NewClientInbound(crypto.ClientID{2}, small, correct)
	dst := make(chan transport.ClientInbound, 1)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		runClientQueue(src, dst, done, func(transport.ClientInbound) {})
	}()
	defer func() {
		close(done)
		<-finished
	}()
	// Let the queue take in everything before the loop asks (as when the
	// loop is busy with one request).
	for deadline := time.Now().Add(time.Minute); len(src) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the queue did not take in its input")
		}
		time.Sleep(time.Millisecond)
	}
	before := 0
	for {
		select {
		case m := <-dst:
			if m.Msg == small {
				if before > 2 {
					t.Fatalf("the small request reached the loop after %d of the %d large ones queued before it, want at most 2", before, floods)
				}
				return
			}
			before++
		case <-time.After(time.Minute):
			t.Fatal("the small request never reached the loop")
		}
	}
}
