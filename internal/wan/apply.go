package wan

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/transport"
)

// ReplicaEmulation is replica self's [emulation] config: one
// [emulation.links.N] table per other replica, from self's region to
// theirs. regions[i] is replica i's region.
func (m *Matrix) ReplicaEmulation(self int, regions []string, seed uint64) (config.EmulationConfig, error) {
	if self < 0 || self >= len(regions) {
		return config.EmulationConfig{}, fmt.Errorf("wan: replica %d of %d", self, len(regions))
	}
	e := config.EmulationConfig{Enabled: true, Seed: seed, Links: make(map[string]config.LinkEmulation, len(regions))}
	for peer, r := range regions {
		if peer == self {
			continue
		}
		l, err := m.Link(regions[self], r)
		if err != nil {
			return config.EmulationConfig{}, fmt.Errorf("replica %d: %w", peer, err)
		}
		e.Links[strconv.Itoa(peer)] = config.LinkEmulation{Delay: config.Duration(l.Delay), Jitter: config.Duration(l.Jitter), Loss: l.Loss}
	}
	return e, nil
}

// Tune raises the timing settings a wide-area cluster needs: Pompe's delta
// must exceed two network delays (plus the clock skew it already allows
// for), and views and fetches must outlast several round trips. Settings
// already larger are kept.
func (m *Matrix) Tune(c *config.Config) {
	oneWay := m.MaxOneWay()
	raise := func(d *config.Duration, to time.Duration) {
		if d.Std() < to {
			*d = config.Duration(to)
		}
	}
	raise(&c.Pompe.Delta, 2*oneWay)
	raise(&c.Pompe.DeltaMax, 8*oneWay)
	raise(&c.Consensus.ViewTimeout, 10*oneWay)
	raise(&c.Consensus.ViewTimeoutMax, 10*c.Consensus.ViewTimeout.Std())
	raise(&c.Consensus.FetchTimeout, 4*oneWay)
}

// ClientLink is the link a client in region from uses to a replica in
// region to. Replicas emulate only the links to other replicas, not their
// replies to clients, so the client side carries the whole round trip:
// the delay and jitter of both directions, and the loss of either.
func (m *Matrix) ClientLink(from, to string) (transport.LinkSpec, error) {
	there, err := m.Link(from, to)
	if err != nil {
		return transport.LinkSpec{}, err
	}
	back, err := m.Link(to, from)
	if err != nil {
		return transport.LinkSpec{}, err
	}
	return transport.LinkSpec{
		Delay:           there.Delay + back.Delay,
		Jitter:          there.Jitter + back.Jitter,
		DropProbability: 1 - (1-there.Loss)*(1-back.Loss),
	}, nil
}

// ClientEmulator makes the link emulator of one client in region from;
// replicaRegions[i] is replica i's region.
func (m *Matrix) ClientEmulator(seed uint64, from string, replicaRegions []string) (*transport.LinkEmulator, error) {
	em := transport.NewLinkEmulator(seed)
	for i, r := range replicaRegions {
		s, err := m.ClientLink(from, r)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		if err := em.SetLink(uint32(i), s); err != nil {
			return nil, err
		}
	}
	return em, nil
}

// Placement puts a cluster's replicas and clients in regions and builds
// their emulation.
type Placement struct {
	Matrix         *Matrix
	ReplicaRegions []string
	ClientRegions  []string
	// Seed varies the emulation's random choices; replica i uses Seed+i,
	// client k Seed+1_000_000+k.
	Seed uint64
}

// Place assigns regions: replicaLabels may name some replicas' regions
// (nil or empty labels: round robin); clients go round robin.
func (m *Matrix) Place(replicaLabels []string, replicas, clients int, seed uint64) (*Placement, error) {
	rr, err := m.Assign(replicaLabels, replicas)
	if err != nil {
		return nil, err
	}
	return &Placement{Matrix: m, ReplicaRegions: rr, ClientRegions: m.RoundRobin(clients), Seed: seed}, nil
}

// ConfigureReplica writes replica i's emulation into c and tunes c's
// timing for the matrix.
func (p *Placement) ConfigureReplica(i int, c *config.Config) error {
	e, err := p.Matrix.ReplicaEmulation(i, p.ReplicaRegions, p.Seed+uint64(i))
	if err != nil {
		return err
	}
	c.Emulation = e
	p.Matrix.Tune(c)
	return nil
}

// ClientEmulator is client k's link emulator.
func (p *Placement) ClientEmulator(k int) (*transport.LinkEmulator, error) {
	if k < 0 || k >= len(p.ClientRegions) {
		return nil, fmt.Errorf("wan: client %d of %d", k, len(p.ClientRegions))
	}
	return p.Matrix.ClientEmulator(p.Seed+1_000_000+uint64(k), p.ClientRegions[k], p.ReplicaRegions)
}
