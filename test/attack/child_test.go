//go:build linux

package attack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	hostile "github.com/pompe-bft/pompe/internal/attack"
	"github.com/pompe-bft/pompe/internal/testnet"
)

// childEnv carries an attack for the test binary to run as a child
// process. The attacker runs apart from the correct client, at the lowest
// CPU priority: on a small machine an attacker inside the test process
// starves the correct client of CPU (and an attacker at normal priority
// starves the replicas), which would measure the machine, not the
// defences. A real attacker brings its own machine.
const childEnv = "POMPE_ATTACK_CHILD"

type childSpec struct {
	Testnet string
	Options hostile.Options // Genesis is loaded from Testnet
}

// childStats is what the child reports on stdout when stopped.
type childStats struct {
	Dials, Established, Refused, ClosedByPeer, Frames, ReplyBytes uint64
	Open                                                          int64
}

func (s childStats) String() string {
	return fmt.Sprintf("dials %d, established %d, open %d, refused %d, closed by replica %d, frames %d, reply bytes %d",
		s.Dials, s.Established, s.Open, s.Refused, s.ClosedByPeer, s.Frames, s.ReplyBytes)
}

func runAttackChild(spec string) int {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Fprintln(os.Stderr, "attack child:", err)
		return 2
	}
	info, err := testnet.LoadClusterInfo(cs.Testnet)
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack child:", err)
		return 2
	}
	cs.Options.Genesis = &info.Genesis
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var st hostile.Stats
	if err := hostile.Run(ctx, cs.Options, &st); err != nil {
		fmt.Fprintln(os.Stderr, "attack child:", err)
		return 1
	}
	out, _ := json.Marshal(childStats{Dials: st.Dials.Load(), Established: st.Established.Load(), Refused: st.Refused.Load(),
		ClosedByPeer: st.ClosedByPeer.Load(), Frames: st.Frames.Load(), ReplyBytes: st.ReplyBytes.Load(), Open: st.Open.Load()})
	fmt.Println(string(out))
	return 0
}

// attackProc is a running attack child.
type attackProc struct {
	cmd *exec.Cmd
	out strings.Builder
}

// startAttack runs opts against c's replicas in a child process at the
// lowest CPU priority.
func startAttack(t *testing.T, c *cluster, opts hostile.Options) *attackProc {
	t.Helper()
	opts.Genesis = nil
	spec, err := json.Marshal(childSpec{Testnet: c.info.Dir, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a := &attackProc{cmd: exec.Command(exe)}
	a.cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	a.cmd.Stdout = &a.out
	a.cmd.Stderr = os.Stderr
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, a.cmd.Process.Pid, 19)
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			_ = a.cmd.Process.Kill()
			_ = a.cmd.Wait()
		}
	})
	return a
}

// stop ends the attack and returns its counts.
func (a *attackProc) stop(t *testing.T) childStats {
	t.Helper()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	if err := a.cmd.Wait(); err != nil {
		t.Errorf("attack child: %v", err)
	}
	var st childStats
	if err := json.Unmarshal([]byte(strings.TrimSpace(a.out.String())), &st); err != nil {
		t.Errorf("attack child output %q: %v", a.out.String(), err)
	}
	return st
}
