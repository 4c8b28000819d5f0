package execution

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pompe-bft/pompe/internal/batch"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/outbox"
	"github.com/pompe-bft/pompe/internal/storage"
	"github.com/pompe-bft/pompe/internal/wire"
	"github.com/pompe-bft/pompe/pkg/app"
)

// chainApp folds every command into a running hash and answers each with
// "height/payload/hash-prefix", so any difference in what or in which order
// it executed shows in its results and snapshot. It also records the calls
// it got (not part of its state).
type chainApp struct {
	state [32]byte
	n     uint64
	calls []appCall
}

type appCall struct {
	height uint64
	cmds   []app.Command
}

func (a *chainApp) Execute(height uint64, cmds []app.Command, _ app.ResultLimits) [][]byte {
	a.calls = append(a.calls, appCall{height, append([]app.Command(nil), cmds...)})
	out := make([][]byte, len(cmds))
	for i, c := range cmds {
		h := sha256.New()
		h.Write(a.state[:])
		h.Write(c.Client[:])
		h.Write(binary.BigEndian.AppendUint64(nil, c.Seq))
		h.Write(c.Payload)
		h.Sum(a.state[:0])
		a.n++
		out[i] = fmt.Appendf(nil, "%d/%s/%x", height, c.Payload, a.state[:2])
	}
	return out
}

// ErrorResult marks a refused result (app.Application).
func (a *chainApp) ErrorResult(reason string) []byte { return []byte("error: " + reason) }

func (a *chainApp) Snapshot() ([]byte, error) {
	return binary.BigEndian.AppendUint64(append([]byte(nil), a.state[:]...), a.n), nil
}

func (a *chainApp) Restore(b []byte) error {
	if len(b) != 40 {
		return errors.New("chain app: snapshot is not 40 bytes")
	}
	copy(a.state[:], b)
	a.n = binary.BigEndian.Uint64(b[32:])
	return nil
}

// executed lists the (client, seq) pairs the app executed, in order.
func (a *chainApp) executed() []cmdKey {
	var out []cmdKey
	for _, c := range a.calls {
		for _, cmd := range c.cmds {
			out = append(out, cmdKey{crypto.ClientID(cmd.Client), cmd.Seq})
		}
	}
	return out
}

// fataler is what helpers need of *testing.T and *rapid.T alike.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

type cmdKey struct {
	client crypto.ClientID
	seq    uint64
}

var (
	alice = crypto.ClientID{0xa}
	bob   = crypto.ClientID{0xb}
	carol = crypto.ClientID{0xc}
)

// cmd is one command of a test batch.
type cmd struct {
	client crypto.ClientID
	seq    uint64
}

// mkBatch builds a batch submitted by sub; nonce keeps digests of equal
// command lists apart, ts is the assigned timestamp.
func mkBatch(sub crypto.ClientID, nonce uint64, ts int64, cmds ...cmd) outbox.ExecBatch {
	b := &wire.Batch{Submitter: append([]byte(nil), sub[:]...), Nonce: nonce}
	for _, c := range cmds {
		b.Commands = append(b.Commands, &wire.Command{
			ClientId: append([]byte(nil), c.client[:]...), Seq: c.seq,
			Payload: fmt.Appendf(nil, "%x-%d", c.client[0], c.seq),
		})
	}
	raw := wire.Marshal(b)
	return outbox.ExecBatch{Digest: batch.DigestOf(raw), TS: ts, Batch: b}
}

func mkBlock(height uint64, batches ...outbox.ExecBatch) outbox.ExecBlock {
	return outbox.ExecBlock{Height: height, View: height + 10, Hash: [32]byte{byte(height)}, Batches: batches}
}

func newExec(t fataler, cfg Config, a app.Application, store storage.Store) *Executor {
	t.Helper()
	if store == nil {
		store = storage.NewMem()
	}
	e, err := New(cfg, a, store)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func executedMsg(t fataler, m *wire.ClientMessage) *wire.Executed {
	t.Helper()
	ex := m.GetExecuted()
	if ex == nil {
		t.Fatalf("reply is %T, not Executed", m.Body)
	}
	return ex
}

func apply(t fataler, store storage.Store, w *storage.Batch) {
	t.Helper()
	if err := store.Apply(w, true); err != nil {
		t.Fatal(err)
	}
}
