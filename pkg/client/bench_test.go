package client

import (
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

// BenchmarkTimestampPhase is the client's work from the n timestamp replies
// of a one-command batch (each under a root of its own, as on a lightly
// loaded replica) to its sequence request: path checks, the proof's root
// signatures verified as one batch, the median, the request built.
func BenchmarkTimestampPhase(b *testing.B) {
	fc := newFakeCluster(b, config.ModePompe, 4, nil)
	key, err := crypto.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s := newReplyScene(b, fc, key)
		replies := make([]*wire.TimestampReply, fc.n)
		for r := range replies {
			replies[r] = &wire.TimestampReply{Digest: s.at.digest[:], Cert: s.genuineCert(r, int64(1_000_000+r))}
		}
		b.StartTimer()
		for r, rep := range replies {
			s.e.onTimestampReply(uint32(r), rep, s.now)
		}
		if s.at.seqReq == nil {
			b.Fatal("no sequence request")
		}
	}
}
