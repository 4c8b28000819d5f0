package wan

import (
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// wanSeed makes the emulation's random choices the same in every testnet
// generated from one matrix.
const wanSeed = 1

// ConfigureTestnet makes every replica of the testnet t generates emulate
// the matrix in the file at path toward the others, from the regions of
// t.Hosts (round robin when there are none). It is shared by `pompe
// testnet --wan` and `pompe-k8s --wan`; for pods, the hosts are set after
// it, so the regions are round robin.
func ConfigureTestnet(path string, opts *testnet.Options) error {
	m, err := ReadFile(path)
	if err != nil {
		return err
	}
	n := opts.N
	if n == 0 {
		n = testnet.DefaultN
	}
	var labels []string
	if len(opts.Hosts) > 0 {
		for _, pl := range testnet.Place(n, len(opts.Hosts)) {
			labels = append(labels, opts.Hosts[pl.Host].Region)
		}
	}
	p, err := m.Place(labels, n, 0, wanSeed)
	if err != nil {
		return err
	}
	// Build every replica's emulation now, so a bad matrix fails here
	// with its own error rather than inside Generate.
	configured := make([]config.Config, n)
	for i := range n {
		configured[i] = config.Default()
		if err := p.ConfigureReplica(i, &configured[i]); err != nil {
			return err
		}
	}
	opts.Regions = p.ReplicaRegions
	prev := opts.OverrideReplica
	opts.OverrideReplica = func(i int, c *config.Config) {
		c.Emulation = configured[i].Emulation
		m.Tune(c)
		if prev != nil {
			prev(i, c)
		}
	}
	return nil
}
