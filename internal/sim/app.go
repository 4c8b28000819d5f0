package sim

import (
	"crypto/sha256"
	"errors"

	"github.com/pompe-bft/pompe/pkg/app"
)

// simApp is a minimal deterministic application: it folds every command
// into a running hash and answers with the hash so far, so that replicas
// that diverge in any way also answer differently.
type simApp struct {
	state [32]byte
}

func newSimApp() *simApp { return &simApp{} }

func (a *simApp) Execute(height uint64, cmds []app.Command, _ app.ResultLimits) [][]byte {
	out := make([][]byte, len(cmds))
	for i, c := range cmds {
		h := sha256.New()
		h.Write(a.state[:])
		h.Write(c.Client[:])
		h.Write(c.Payload)
		h.Sum(a.state[:0])
		out[i] = append([]byte(nil), a.state[:8]...)
	}
	return out
}

// ErrorResult marks a refused result (app.Application).
func (a *simApp) ErrorResult(reason string) []byte { return []byte("error: " + reason) }

func (a *simApp) Snapshot() ([]byte, error) { return append([]byte(nil), a.state[:]...), nil }

func (a *simApp) Restore(b []byte) error {
	if len(b) != len(a.state) {
		return errors.New("sim app: bad snapshot")
	}
	copy(a.state[:], b)
	return nil
}
