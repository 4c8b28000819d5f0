package transport

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// LinkSpec describes one emulated one-way link.
type LinkSpec struct {
	Delay           time.Duration // one-way delay added to every frame
	Jitter          time.Duration // delay varies uniformly in [Delay-Jitter, Delay+Jitter]
	DropProbability float64       // in [0, 1]
}

func (s LinkSpec) validate() error {
	if s.Delay < 0 || s.Jitter < 0 {
		return fmt.Errorf("transport: negative delay %v or jitter %v", s.Delay, s.Jitter)
	}
	if !(s.DropProbability >= 0 && s.DropProbability <= 1) {
		return fmt.Errorf("transport: drop probability %v outside [0, 1]", s.DropProbability)
	}
	return nil
}

// LinkEmulator emulates the network in user space on the sending side: each
// transport (or client connection) that holds one applies it to the links
// leaving it, keyed by destination. To cut two replicas apart, partition the
// link on both sides. All methods are safe for concurrent use and take
// effect for frames sent afterwards; a partition also discards frames still
// queued on the link.
type LinkEmulator struct {
	mu             sync.Mutex
	rng            *rand.Rand
	peerDefault    LinkSpec
	clientDefault  LinkSpec
	peers          map[uint32]LinkSpec
	clients        map[crypto.ClientID]LinkSpec
	blockedPeers   map[uint32]bool
	blockedClients map[crypto.ClientID]bool
}

// NewLinkEmulator makes an emulator with perfect links whose random choices
// (jitter, loss) are reproducible from seed.
func NewLinkEmulator(seed uint64) *LinkEmulator {
	return &LinkEmulator{
		rng:            rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		peers:          make(map[uint32]LinkSpec),
		clients:        make(map[crypto.ClientID]LinkSpec),
		blockedPeers:   make(map[uint32]bool),
		blockedClients: make(map[crypto.ClientID]bool),
	}
}

// SetLink sets the link to replica to.
func (e *LinkEmulator) SetLink(to uint32, s LinkSpec) error {
	if err := s.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.peers[to] = s
	return nil
}

// ClearLink returns the link to replica to to the default.
func (e *LinkEmulator) ClearLink(to uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.peers, to)
}

// SetDefaultLink sets the link to every replica without its own spec.
func (e *LinkEmulator) SetDefaultLink(s LinkSpec) error {
	if err := s.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.peerDefault = s
	return nil
}

// Partition blocks (or heals) the link to replica to.
func (e *LinkEmulator) Partition(to uint32, blocked bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if blocked {
		e.blockedPeers[to] = true
	} else {
		delete(e.blockedPeers, to)
	}
}

// Link returns the spec in force for replica to.
func (e *LinkEmulator) Link(to uint32) LinkSpec {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.peers[to]; ok {
		return s
	}
	return e.peerDefault
}

// SetClientLink sets the link to one client.
func (e *LinkEmulator) SetClientLink(id crypto.ClientID, s LinkSpec) error {
	if err := s.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[id] = s
	return nil
}

// ClearClientLink returns the link to a client to the default.
func (e *LinkEmulator) ClearClientLink(id crypto.ClientID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.clients, id)
}

// SetDefaultClientLink sets the link to every client without its own spec.
func (e *LinkEmulator) SetDefaultClientLink(s LinkSpec) error {
	if err := s.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clientDefault = s
	return nil
}

// PartitionClient blocks (or heals) the link to a client.
func (e *LinkEmulator) PartitionClient(id crypto.ClientID, blocked bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if blocked {
		e.blockedClients[id] = true
	} else {
		delete(e.blockedClients, id)
	}
}

// ClientLink returns the spec in force for a client.
func (e *LinkEmulator) ClientLink(id crypto.ClientID) LinkSpec {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.clients[id]; ok {
		return s
	}
	return e.clientDefault
}

// linkKey names one destination: a replica, or a client when isClient.
type linkKey struct {
	isClient bool
	replica  uint32
	client   crypto.ClientID
}

func peerLinkKey(to uint32) linkKey            { return linkKey{replica: to} }
func clientLinkKey(id crypto.ClientID) linkKey { return linkKey{isClient: true, client: id} }

// plan decides the fate of one frame: dropped, or delayed by delay.
func (e *LinkEmulator) plan(k linkKey) (drop bool, delay time.Duration) {
	if e == nil {
		return false, 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.blockedLocked(k) {
		return true, 0
	}
	s := e.peerDefault
	if k.isClient {
		s = e.clientDefault
		if c, ok := e.clients[k.client]; ok {
			s = c
		}
	} else if p, ok := e.peers[k.replica]; ok {
		s = p
	}
	if s.DropProbability > 0 && e.rng.Float64() < s.DropProbability {
		return true, 0
	}
	delay = s.Delay
	if s.Jitter > 0 {
		delay += time.Duration(e.rng.Int64N(2*int64(s.Jitter)+1)) - s.Jitter
	}
	return false, max(delay, 0)
}

// blocked reports whether the link is partitioned now.
func (e *LinkEmulator) blocked(k linkKey) bool {
	if e == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.blockedLocked(k)
}

func (e *LinkEmulator) blockedLocked(k linkKey) bool {
	if k.isClient {
		return e.blockedClients[k.client]
	}
	return e.blockedPeers[k.replica]
}
