package local

import (
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/transport"
)

// wanSeed fixes the emulation's random choices, so two runs with the same
// matrix see the same jitter and loss draws.
const wanSeed = 1

// wanSetup is the emulation of Options.WAN: replicas and clients placed in
// its regions round robin.
type wanSetup struct {
	regions   []string // per replica, for testnet.toml
	override  func(i int, c *config.Config)
	emulators []*transport.LinkEmulator // per client
}

// newWANSetup returns a setup that emulates nothing when o.WAN is nil.
func newWANSetup(o Options) (*wanSetup, error) {
	if o.WAN == nil {
		return &wanSetup{}, nil
	}
	p, err := o.WAN.Place(nil, o.Nodes, o.Clients, wanSeed)
	if err != nil {
		return nil, err
	}
	configured := make([]config.Config, o.Nodes)
	for i := range configured {
		configured[i] = config.Default()
		if err := p.ConfigureReplica(i, &configured[i]); err != nil {
			return nil, err
		}
	}
	s := &wanSetup{regions: p.ReplicaRegions}
	s.override = func(i int, c *config.Config) {
		c.Emulation = configured[i].Emulation
		o.WAN.Tune(c)
	}
	for k := range o.Clients {
		em, err := p.ClientEmulator(k)
		if err != nil {
			return nil, err
		}
		s.emulators = append(s.emulators, em)
	}
	return s, nil
}
