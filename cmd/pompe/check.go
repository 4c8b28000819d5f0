package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/checker"
	"github.com/pompe-bft/pompe/internal/cliexit"
	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/loadgen"
	"github.com/pompe-bft/pompe/internal/runlog"
	"github.com/pompe-bft/pompe/internal/testnet"
)

func newCheckCmd() *cobra.Command {
	var (
		correct     string
		testnetDir  string
		maxExamples int
		jsonOut     bool
	)
	cmd := &cobra.Command{
		Use:   "check DIR... [--testnet DIR] [--correct 0,1,2] [--json]",
		Short: "Check a run's execution logs and client records for violations",
		Long: `check reads the replicas' execution logs (replicaN.exec.tsv) and the clients'
command records (clientN.records.jsonl) and checks:
  - consistency: correct replicas executed the same commands in the same
    order, none twice;
  - ordering linearizability: a command whose correct timestamps all lie
    below another's executes first;
  - that no acknowledged command (f+1 matching replies) is missing from
    every correct replica's log;
  - that each executed batch has the place and timestamp its client was
    told, a timestamp within the correct replicas' range that can be the
    median (index f) of the timestamps recorded;
  - that no correct replica gave one timestamp to two batches.
It exits 1 if it finds a violation.

Each DIR is a directory that 'pompe report' accepts: a 'pompe local --out'
directory (files under run/), a 'pompe bench --out' directory, or a
directory holding the files directly. Files of several DIRs are checked as
one run (several bench processes against one cluster). --testnet adds the
execution logs that the replicas of a testnet keep in their homes (the
data directory of each), which is where a 'pompe testnet' + 'pompe bench'
run has them; stop the replicas first, or the newest lines may still be in
their buffers. The cluster size n comes from the testnet, else load.json,
else the highest replica id with a log.

--correct names the replicas known to be correct (default: all): only their
logs are compared and only their timestamps bound the ranges. It must name
at least n-f existing replicas.`,
		Example: `  pompe check ./run1
  pompe check ./run1/run --correct 0,1,3 --json
  pompe check ./b100 --testnet ./tn`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIndexList("correct", correct)
			if err != nil {
				return err
			}
			src, err := checkSources(args, testnetDir, ids)
			if err != nil {
				return err
			}
			res, err := checker.CheckSources(src, checker.Options{Correct: ids, MaxExamples: maxExamples})
			if errors.Is(err, checker.ErrBadCorrect) {
				return cliexit.Usage(fmt.Errorf("--correct %s: %w", correct, err))
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if jsonOut {
				line, err := json.Marshal(res)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", line)
			} else {
				printCheck(out, &res)
			}
			if !res.OK() {
				return cliexit.Failed("violations found")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&correct, "correct", "", "replicas known to be correct (default: all; at least n-f)")
	f.StringVar(&testnetDir, "testnet", "", "also read the execution logs in the homes of this testnet (testnet + bench runs)")
	f.IntVar(&maxExamples, "max-examples", checker.DefaultMaxExamples, "examples kept per kind of violation")
	f.BoolVar(&jsonOut, "json", false, "print the result as one JSON line")
	return cmd
}

// checkSources gathers the run files of dirs (each resolved as `pompe
// report` resolves it) and of the testnet's homes, and the cluster size.
func checkSources(dirs []string, testnetDir string, correct []int) (checker.Sources, error) {
	src := checker.Sources{}
	sizes := map[int]string{} // cluster size -> where it was read
	for _, dir := range dirs {
		runDir, err := resolveRunDir(dir)
		if err != nil {
			return src, err
		}
		if err := src.Add(runDir); err != nil {
			return src, err
		}
		if ri, err := loadgen.ReadRunInfo(runDir); err == nil {
			sizes[ri.Replicas] = filepath.Join(runDir, loadgen.RunInfoName)
		} else if !errors.Is(err, os.ErrNotExist) {
			return src, err
		}
		if ci, err := testnet.LoadClusterInfo(filepath.Join(dir, "testnet")); err == nil {
			sizes[len(ci.Genesis.Replicas)] = ci.Dir
		}
	}
	if testnetDir != "" {
		ci, err := testnet.LoadClusterInfo(testnetDir)
		if err != nil {
			return src, cliexit.Usage(fmt.Errorf("--testnet %s: %w", testnetDir, err))
		}
		sizes[len(ci.Genesis.Replicas)] = testnetDir
		for i, home := range ci.Homes {
			h, err := config.Load(home)
			if err != nil {
				return src, fmt.Errorf("--testnet %s: replica %d: %w", testnetDir, i, err)
			}
			path := filepath.Join(h.DataDir(), runlog.ExecLogName(i))
			if _, err := os.Stat(path); err != nil {
				if len(correct) > 0 && !containsInt(correct, i) {
					continue // a replica not judged may lack a log
				}
				return src, fmt.Errorf("--testnet %s: replica %d has no execution log at %s: was it started here? "+
					"(copy the logs of replicas on other machines into a directory and pass it as a DIR)", testnetDir, i, path)
			}
			if err := src.AddExecLog(i, path); err != nil {
				return src, err
			}
		}
	}
	if len(sizes) > 1 {
		return src, fmt.Errorf("the directories describe clusters of different sizes: %v", sizes)
	}
	for n := range sizes {
		src.Replicas = n
	}
	if len(src.ExecLogs) == 0 {
		hint := ""
		if testnetDir == "" {
			hint = "; for a testnet + bench run, add --testnet DIR to read the logs in the replicas' homes"
		}
		return src, fmt.Errorf("no execution log (replicaN.exec.tsv) in %v%s", dirs, hint)
	}
	return src, nil
}

// resolveRunDir returns where dir keeps its run files: dir/run for a
// 'pompe local --out' directory, else dir.
func resolveRunDir(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	sub := filepath.Join(dir, "run")
	if st, err := os.Stat(sub); err == nil && st.IsDir() {
		return sub, nil
	}
	return dir, nil
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func printCheck(w io.Writer, r *checker.Result) {
	fmt.Fprintf(w, "n = %d (f = %d): %d replica logs, %d commands (order from replica %d), %d client records, %d commands with correct timestamps\n",
		r.N, r.F, r.Replicas, r.Commands, r.OrderReplica, r.ClientRecords, r.TimedCommands)
	for _, l := range r.Logs {
		torn := ""
		if l.Truncated {
			torn = " (torn last line ignored)"
		}
		fmt.Fprintf(w, "  replica %d: %d entries%s\n", l.Replica, l.Entries, torn)
	}
	fmt.Fprintf(w, "consistency violations: %d (%d mismatched entries, %d duplicate executions)\n",
		r.ConsistencyViolations, r.MismatchedEntries, r.DuplicateExecutions)
	fmt.Fprintf(w, "ordering violations: %d\n", r.OrderingViolations)
	fmt.Fprintf(w, "lost acknowledged commands: %d\n", r.LostCommands)
	fmt.Fprintf(w, "records disagreeing with the logs: %d\n", r.RecordMismatches)
	fmt.Fprintf(w, "impossible batch timestamps: %d\n", r.TimestampViolations)
	fmt.Fprintf(w, "timestamps reused by a correct replica: %d\n", r.ReusedTimestamps)
	if r.ExecutedWithoutRecord > 0 || r.RecordsNotInLog > 0 {
		fmt.Fprintf(w, "note: %d executed commands without a client record, %d recorded executions missing from the order log\n",
			r.ExecutedWithoutRecord, r.RecordsNotInLog)
	}
	for _, ex := range r.Examples {
		if ex.Entry >= 0 {
			fmt.Fprintf(w, "  %s at entry %d: %s\n", ex.Kind, ex.Entry, ex.Detail)
		} else {
			fmt.Fprintf(w, "  %s: %s\n", ex.Kind, ex.Detail)
		}
	}
	if r.OK() {
		fmt.Fprintln(w, "OK")
	}
}
