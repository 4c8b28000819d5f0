package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// replicaProcess is one started replica.
type replicaProcess struct {
	index   int
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // set before exited is closed
}

// startReplica runs path args in a new process group, in environment env
// (nil: this process's), with stdout and stderr going to logPath.
func startReplica(index int, path string, args, env []string, logPath string) (*replicaProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("local: replica %d log: %w", index, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env // nil: this process's environment
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = replicaProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("local: start replica %d: %w", index, err)
	}
	p := &replicaProcess{index: index, cmd: cmd, logPath: logPath, logFile: logFile, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *replicaProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// stop asks the replica's process group to terminate and kills it after
// grace. It returns the replica's exit error, if it failed.
func (p *replicaProcess) stop(grace time.Duration) error {
	pid := p.cmd.Process.Pid
	if !p.hasExited() {
		_ = signalGroup(pid, sigTerm)
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = signalGroup(pid, sigKill)
			<-p.exited
			return fmt.Errorf("local: replica %d did not stop within %v and was killed", p.index, grace)
		}
	}
	// Anything the replica left in its group goes with it.
	_ = signalGroup(pid, sigKill)
	return p.exitError()
}

// exitError describes a replica that exited with a failure, quoting the
// end of its log, where the reason is.
func (p *replicaProcess) exitError() error {
	if p.waitErr == nil {
		return nil
	}
	msg := fmt.Sprintf("local: replica %d exited: %v", p.index, p.waitErr)
	if tail := logTail(p.logPath, tailLines, tailMaxBytes); tail != "" {
		msg += "; its log (" + p.logPath + ") ends with:\n" + tail
	}
	return errors.New(msg)
}

// Bounds of the log excerpt quoted in errors.
const (
	tailLines    = 5
	tailMaxBytes = 4 << 10
)

// logTail returns the last lines of a file, reading at most maxBytes.
func logTail(path string, lines, maxBytes int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-int64(maxBytes), 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(buf, []byte("?"))), "\n"), "\n")
	if off > 0 && len(all) > 1 {
		all = all[1:] // the first line may be cut
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.TrimSpace(strings.Join(all, "\n"))
}
