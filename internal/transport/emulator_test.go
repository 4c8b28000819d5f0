package transport

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
)

func TestLinkSpecValidation(t *testing.T) {
	tests := []struct {
		name string
		spec LinkSpec
		ok   bool
	}{
		{"zero", LinkSpec{}, true},
		{"typical", LinkSpec{Delay: 50 * time.Millisecond, Jitter: 5 * time.Millisecond, DropProbability: 0.01}, true},
		{"certain loss", LinkSpec{DropProbability: 1}, true},
		{"negative delay", LinkSpec{Delay: -1}, false},
		{"negative jitter", LinkSpec{Jitter: -1}, false},
		{"probability above one", LinkSpec{DropProbability: 1.5}, false},
		{"negative probability", LinkSpec{DropProbability: -0.1}, false},
	}
	e := NewLinkEmulator(1)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, err := range []error{
				e.SetLink(0, tc.spec), e.SetDefaultLink(tc.spec),
				e.SetClientLink(crypto.ClientID{}, tc.spec), e.SetDefaultClientLink(tc.spec),
			} {
				if (err == nil) != tc.ok {
					t.Fatalf("err = %v, want ok = %v", err, tc.ok)
				}
			}
		})
	}
}

func TestEmulatorPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := LinkSpec{
			Delay:           time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "delay")),
			Jitter:          time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "jitter")),
			DropProbability: rapid.SampledFrom([]float64{0, 0.3, 1}).Draw(t, "p"),
		}
		seed := rapid.Uint64().Draw(t, "seed")
		client := rapid.Bool().Draw(t, "client")
		e, twin := NewLinkEmulator(seed), NewLinkEmulator(seed)
		key := peerLinkKey(3)
		if client {
			key = clientLinkKey(crypto.ClientID{3})
		}
		for _, em := range []*LinkEmulator{e, twin} {
			if client {
				em.SetClientLink(key.client, spec)
			} else {
				em.SetLink(3, spec)
			}
		}
		for range 50 {
			drop, delay := e.plan(key)
			drop2, delay2 := twin.plan(key)
			if drop != drop2 || delay != delay2 {
				t.Fatal("same seed, different decisions")
			}
			if spec.DropProbability == 0 && drop || spec.DropProbability == 1 && !drop {
				t.Fatalf("drop = %v with probability %v", drop, spec.DropProbability)
			}
			if !drop && (delay < max(0, spec.Delay-spec.Jitter) || delay > spec.Delay+spec.Jitter) {
				t.Fatalf("delay %v outside %v +- %v", delay, spec.Delay, spec.Jitter)
			}
		}
		if client {
			e.PartitionClient(key.client, true)
		} else {
			e.Partition(3, true)
		}
		if drop, _ := e.plan(key); !drop || !e.blocked(key) {
			t.Fatal("partitioned link let a frame through")
		}
		if e.blocked(peerLinkKey(4)) || e.blocked(clientLinkKey(crypto.ClientID{4})) {
			t.Fatal("partition leaked to another link")
		}
	})
}

func TestNilEmulatorIsPerfect(t *testing.T) {
	var e *LinkEmulator
	if drop, delay := e.plan(peerLinkKey(0)); drop || delay != 0 {
		t.Fatal("nil emulator changed a frame")
	}
	if e.blocked(peerLinkKey(0)) {
		t.Fatal("nil emulator blocked a link")
	}
}

func TestEmulatedDelayKeepsOrder(t *testing.T) {
	emu := NewLinkEmulator(7)
	c := newCluster(t, 4, 2, func(i int, cfg *Config) {
		if i == 0 {
			cfg.Emulator = emu
		}
	})
	if err := emu.SetLink(1, LinkSpec{Delay: 20 * time.Millisecond, Jitter: 15 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for v := range uint64(n) {
		c.ts[0].Send(1, vote(0, v))
	}
	for v := range uint64(n) {
		in := recvWhere(t, c.ts[1].Inbound(), func(in Inbound) bool { return in.From == 0 })
		if viewOf(in.Msg) != v {
			t.Fatalf("got view %d, want %d: a link must not reorder", viewOf(in.Msg), v)
		}
	}
}

func TestPartitionDeliversNothingAndHeals(t *testing.T) {
	emu := NewLinkEmulator(7)
	c := newCluster(t, 4, 2, func(i int, cfg *Config) {
		if i == 0 {
			cfg.Emulator = emu
		}
	})
	t0, t1 := c.ts[0], c.ts[1]
	dropped := func() uint64 { return t0.Stats().Peers[1].DroppedEmulated }

	// Frames sent during a partition are lost.
	emu.Partition(1, true)
	for v := range uint64(10) {
		t0.Send(1, vote(0, 100+v))
	}
	if got := dropped(); got != 10 {
		t.Fatalf("dropped %d frames, want 10", got)
	}

	// Frames already waiting out a delay when the partition starts are lost
	// too.
	emu.Partition(1, false)
	emu.SetLink(1, LinkSpec{Delay: 50 * time.Millisecond})
	for v := range uint64(5) {
		t0.Send(1, vote(0, 200+v))
	}
	emu.Partition(1, true)
	eventually(t, "the delayed frames are discarded", func() bool { return dropped() == 15 })

	// Certain loss drops everything without a partition.
	emu.Partition(1, false)
	emu.SetLink(1, LinkSpec{DropProbability: 1})
	t0.Send(1, vote(0, 300))
	if got := dropped(); got != 16 {
		t.Fatalf("dropped %d frames, want 16", got)
	}

	emu.ClearLink(1)
	t0.Send(1, vote(0, 1))
	in := recvWhere(t, t1.Inbound(), func(in Inbound) bool { return in.From == 0 })
	if viewOf(in.Msg) != 1 {
		t.Fatalf("first delivery after healing is view %d: the partition leaked", viewOf(in.Msg))
	}
}

func TestClientLinkEmulation(t *testing.T) {
	emu := NewLinkEmulator(3)
	c := newCluster(t, 1, 1, func(_ int, cfg *Config) { cfg.Emulator = emu })
	tr := c.ts[0]
	cc := dialClient(t, c, 0, newClientKey(t))
	cc.Send(timestampRequest("hello"))
	recvClient(t, tr.ClientInbound())

	emu.SetDefaultClientLink(LinkSpec{Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond})
	emu.PartitionClient(cc.ID(), true)
	if !tr.SendClient(cc.ID(), timestampRequest("lost")) {
		t.Fatal("emulated loss must look like a successful send")
	}
	emu.PartitionClient(cc.ID(), false)
	tr.SendClient(cc.ID(), timestampRequest("kept"))
	if got := recvReply(t, cc); string(got.GetTimestampRequest().GetBatch()) != "kept" {
		t.Fatalf("client got %v", got)
	}
	if s := tr.Stats().Clients; s.DroppedEmulated != 1 {
		t.Fatalf("client drops %+v", s)
	}
}
