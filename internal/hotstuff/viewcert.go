package hotstuff

import "github.com/pompe-bft/pompe/internal/wire"

// ViewCert is the certificate that opened this replica's current view: its
// highest QC and, when the view was entered through a timeout certificate,
// that certificate. A leader's collect carries it, so that a replica still
// one view behind enters the view before it answers: replicas answer a
// collect only in their current view (docs/protocol.md section 3.2), which a far-future
// view without a certificate can never be.
func (c *Core) ViewCert() *wire.Sync {
	s := &wire.Sync{HighQc: c.highQC}
	if c.lastTC != nil && c.lastTC.View+1 == c.view {
		s.Tc = c.lastTC
	}
	return s
}
