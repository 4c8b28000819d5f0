package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pompe-bft/pompe/internal/checker"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/report"
	"github.com/pompe-bft/pompe/internal/runlog"
)

// Layout of a local run directory, results/RUN.
const (
	hostsDirName  = "hosts" // hosts/LABEL/... mirrors what was fetched from each host
	checkDirName  = "check" // every execution log and client record, for the checker
	benchFileName = "bench.json"
)

// NewRunID names a run by its start time.
func NewRunID(now time.Time) string { return now.UTC().Format("20060102T150405Z") }

// RunDir is the local directory of a run.
func (c *Cluster) RunDir(run string) string { return filepath.Join(c.inv.Results, run) }

// LatestRun finds the newest run in the results directory.
func (c *Cluster) LatestRun() (string, error) {
	entries, err := os.ReadDir(c.inv.Results)
	if err != nil {
		return "", fmt.Errorf("cluster: no runs yet: %w", err)
	}
	var runs []string
	for _, e := range entries {
		if e.IsDir() {
			runs = append(runs, e.Name())
		}
	}
	if len(runs) == 0 {
		return "", fmt.Errorf("cluster: no runs in %s; run `pompe cluster bench` first", c.inv.Results)
	}
	slices.Sort(runs)
	return runs[len(runs)-1], nil
}

func (c *Cluster) clientMachines() []*machine {
	var out []*machine
	for _, m := range c.inv.machines() {
		if m.clients > 0 {
			out = append(out, m)
		}
	}
	return out
}

// Bench runs `pompe bench` on every client host at once for the
// inventory's duration, each with its own range of client keys, and
// returns the run's id. Each host's summary line is kept in
// results/RUN/hosts/LABEL/bench.json.
func (c *Cluster) Bench(ctx context.Context, run string) error {
	ms := c.clientMachines()
	if len(ms) == 0 {
		return errors.New("cluster: the inventory lists no [[client_hosts]]")
	}
	b := c.inv.Bench
	return c.each(ctx, "bench", ms, func(ctx context.Context, cn *conn, m *machine) (string, error) {
		args := []string{remoteBinary, "bench", "--testnet", remoteTestnet,
			"--client-offset", strconv.Itoa(m.clientOffset), "--clients", strconv.Itoa(m.clients),
			"--duration", b.Duration.String(), "--batch", strconv.Itoa(b.Batch), "--payload", strconv.Itoa(b.Payload),
			"--out", remoteBench + "/" + run, "--json"}
		if b.Rate > 0 {
			args = append(args, "--rate", strconv.FormatFloat(b.Rate, 'g', -1, 64))
		} else {
			args = append(args, "--inflight", strconv.Itoa(b.Inflight))
		}
		out, err := cn.run(ctx, cdRemote(m, false)+" && "+strings.Join(args, " "), nil)
		if err != nil {
			return "", &HostError{Host: m.Address, Step: "bench", Err: err}
		}
		line := lastLine(out)
		var res struct {
			Executed     uint64  `json:"executed"`
			ExecutedPerS float64 `json:"executed_per_s"`
		}
		if err := json.Unmarshal(line, &res); err != nil {
			return "", &HostError{Host: m.Address, Step: "bench", Err: fmt.Errorf("summary %q: %w", line, err)}
		}
		dir := filepath.Join(c.RunDir(run), hostsDirName, m.label())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, benchFileName), append(line, '\n'), 0o644); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d executed (%.1f/s)", res.Executed, res.ExecutedPerS), nil
	})
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// fetchScript lists the files that exist among paths and streams them as
// a tar archive.
func fetchScript(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = shellQuote(p)
	}
	return "for f in " + strings.Join(q, " ") + "; do [ -e \"$f\" ] && printf '%s\\n' \"$f\"; done | tar -cf - -T -"
}

// Collect fetches every replica's log and execution log and every client
// host's bench output of run into results/RUN/hosts/LABEL, then gathers
// the execution logs and client records in results/RUN/check.
func (c *Cluster) Collect(ctx context.Context, run string) error {
	ci := c.inv.Cluster()
	execPaths := make([]string, len(ci.Homes))
	for i, home := range ci.Homes {
		h, err := config.Load(home)
		if err != nil {
			return err
		}
		dd := h.Config.Node.DataDir
		if !filepath.IsAbs(dd) {
			dd = path.Join(nodeDir(i), filepath.ToSlash(dd))
		}
		execPaths[i] = path.Join(dd, runlog.ExecLogName(i))
	}
	err := c.each(ctx, "collect", c.inv.machines(), func(ctx context.Context, cn *conn, m *machine) (string, error) {
		var paths []string
		for _, i := range m.replicas {
			paths = append(paths, logFile(i), execPaths[i])
		}
		if m.clients > 0 {
			paths = append(paths, remoteBench+"/"+run)
		}
		pr, pw := io.Pipe()
		dir := filepath.Join(c.RunDir(run), hostsDirName, m.label())
		var files int
		extracted := make(chan error, 1)
		go func() {
			var err error
			files, err = extractTar(pr, dir)
			if err == nil {
				// tar pads its archive past the end marker: read it all.
				_, err = io.Copy(io.Discard, pr)
			}
			pr.CloseWithError(err)
			extracted <- err
		}()
		runErr := cn.stream(ctx, cdRemote(m, false)+" && "+fetchScript(paths), nil, pw)
		pw.CloseWithError(runErr)
		if err := <-extracted; err != nil && runErr == nil {
			runErr = err
		}
		if runErr != nil {
			return "", &HostError{Host: m.Address, Step: "fetch logs", Err: runErr}
		}
		return fmt.Sprintf("%d file(s) into %s", files, dir), nil
	})
	if err != nil {
		return err
	}
	return c.gatherCheckDir(run, execPaths)
}

// gatherCheckDir copies every execution log and every client's records
// into one directory, client records renamed to their global client index.
func (c *Cluster) gatherCheckDir(run string, execPaths []string) error {
	runDir := c.RunDir(run)
	check := filepath.Join(runDir, checkDirName)
	if err := os.RemoveAll(check); err != nil {
		return err
	}
	if err := os.MkdirAll(check, 0o755); err != nil {
		return err
	}
	for _, m := range c.inv.machines() {
		hostDir := filepath.Join(runDir, hostsDirName, m.label())
		for _, i := range m.replicas {
			src := filepath.Join(hostDir, filepath.FromSlash(execPaths[i]))
			if filepath.IsAbs(execPaths[i]) {
				src = filepath.Join(hostDir, strings.TrimPrefix(execPaths[i], "/"))
			}
			if err := copyFile(src, filepath.Join(check, runlog.ExecLogName(i))); err != nil {
				return fmt.Errorf("cluster: %s: replica %d's execution log: %w", m.Address, i, err)
			}
		}
		for k := range m.clients {
			src := filepath.Join(hostDir, remoteBench, run, runlog.ClientRecordsName(k))
			if err := copyFile(src, filepath.Join(check, runlog.ClientRecordsName(m.clientOffset+k))); err != nil {
				return fmt.Errorf("cluster: %s: client %d's records: %w", m.Address, m.clientOffset+k, err)
			}
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Summary is the aggregate of one run.
type Summary struct {
	Run    string         `json:"run"`
	Report *report.Report `json:"report"`
	Check  checker.Result `json:"check"`
	Dir    string         `json:"dir"`
}

// Report aggregates a collected run: throughput and latency over every
// client host's bench output (as `pompe report` computes them) and the
// checker's verdict over every replica's execution log. It writes
// report.txt and report.json into the run directory.
func (c *Cluster) Report(run string) (*Summary, error) {
	runDir := c.RunDir(run)
	var dirs []string
	for _, m := range c.clientMachines() {
		dirs = append(dirs, filepath.Join(runDir, hostsDirName, m.label(), remoteBench, run))
	}
	if len(dirs) == 0 {
		return nil, errors.New("cluster: the inventory lists no [[client_hosts]]")
	}
	rep, err := report.Load(dirs, report.Options{})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w (was `pompe cluster collect` run?)", err)
	}
	res, err := checker.Check(filepath.Join(runDir, checkDirName), checker.Options{})
	if err != nil {
		return nil, err
	}
	s := &Summary{Run: run, Report: rep, Check: res, Dir: runDir}
	var txt bytes.Buffer
	if err := s.WriteText(&txt); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(runDir, "report.txt"), txt.Bytes(), 0o644); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(runDir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// WriteText prints the report table and the checker's verdict.
func (s *Summary) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "run %s (%s)\n", s.Run, s.Dir)
	if err := s.Report.WriteTable(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "checker: %d commands in %d replica logs, %d client records, %d consistency violations, %d ordering violations\n",
		s.Check.Commands, s.Check.Replicas, s.Check.ClientRecords, s.Check.ConsistencyViolations, s.Check.OrderingViolations)
	return err
}
