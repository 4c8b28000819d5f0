package transport

import (
	"log/slog"
	"strings"
	"testing"
)

// Replicas of the same committee under different genesis refuse each
// other at the handshake, count it on both sides and say so once per peer
// at ERROR; replicas of the same genesis connect.
func TestGenesisMismatchRefusedAtHandshake(t *testing.T) {
	var logs [2]syncBuffer
	c := newCluster(t, 4, 0, nil)
	for i, hash := range []string{"genesis-A", "genesis-B"} {
		c.start(t, i, func(_ int, cfg *Config) {
			cfg.GenesisHash = []byte(hash)
			cfg.Logger = slog.New(slog.NewTextHandler(&logs[i], &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
	}
	c.ts[1].Send(0, vote(1, 5))
	eventually(t, "both sides count the mismatch, over several redials", func() bool {
		return c.ts[0].Stats().GenesisMismatches >= 3 && c.ts[1].Stats().GenesisMismatches >= 3
	})
	defer func() {
		if t.Failed() {
			t.Log(logs[1].String())
		}
	}()
	eventually(t, "both sides log it as listener and as dialer", func() bool {
		for i := range 2 {
			if !strings.Contains(logs[i].String(), "peer refused this replica's genesis") ||
				!strings.Contains(logs[i].String(), "peer refused: it runs another genesis") {
				return false
			}
		}
		return true
	})
	for i := range 2 {
		// One line as listener, one as dialer, however often they redial.
		if n := strings.Count(logs[i].String(), "level=ERROR"); n != 2 {
			t.Errorf("replica %d logged %d ERROR lines, want 2:\n%s", i, n, logs[i].String())
		}
		if !strings.Contains(logs[i].String(), "genesis") {
			t.Errorf("replica %d's ERROR line does not name the genesis:\n%s", i, logs[i].String())
		}
	}
	select {
	case in := <-c.ts[0].Inbound():
		if in.From == 1 {
			t.Fatalf("a message crossed a genesis mismatch: %v", in.Msg)
		}
	default:
	}
	if c.ts[0].Stats().Peers[1].InboundUp {
		t.Fatal("the mismatched peer is connected")
	}

	// A replica of genesis A connects to replica 0, and a tool speaking
	// the plain peer protocol (no genesis to compare) still gets through.
	c.start(t, 2, func(_ int, cfg *Config) { cfg.GenesisHash = []byte("genesis-A") })
	c.ts[2].Send(0, vote(2, 6))
	recvWhere(t, c.ts[0].Inbound(), func(in Inbound) bool { return in.From == 2 && viewOf(in.Msg) == 6 })
	conn, err := DialRawPeer(testCtx(t), c.ts[0].PeerAddr().String(), c.keys[3], c.committee.PublicKey(0))
	if err != nil {
		t.Fatalf("plain peer protocol refused: %v", err)
	}
	conn.Close()
}
