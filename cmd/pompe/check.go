package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pompe-bft/pompe/internal/checker"
)

func newCheckCmd() *cobra.Command {
	var (
		correct     string
		maxExamples int
		jsonOut     bool
	)
	cmd := &cobra.Command{
		Use:   "check DIR [--correct 0,1,2] [--json]",
		Short: "Check a run's execution logs and client records for violations",
		Long: `check reads the replicas' execution logs (replicaN.exec.tsv) and the clients'
command records (clientN.records.jsonl) in DIR and checks consistency (correct
replicas executed the same commands in the same order, none twice) and
ordering linearizability (a command whose correct timestamps all lie below
another's executes first). It exits 1 if it finds a violation.`,
		Example: `  pompe check ./run1/run
  pompe check ./run1/run --correct 0,1,3 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIndexList("correct", correct)
			if err != nil {
				return err
			}
			res, err := checker.Check(args[0], checker.Options{Correct: ids, MaxExamples: maxExamples})
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
				return failedError{"violations found"}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&correct, "correct", "", "replicas known to be correct (default: all)")
	f.IntVar(&maxExamples, "max-examples", checker.DefaultMaxExamples, "examples kept per kind of violation")
	f.BoolVar(&jsonOut, "json", false, "print the result as one JSON line")
	return cmd
}

func printCheck(w io.Writer, r *checker.Result) {
	fmt.Fprintf(w, "%d replica logs, %d commands (order from replica %d), %d client records, %d commands with correct timestamps\n",
		r.Replicas, r.Commands, r.OrderReplica, r.ClientRecords, r.TimedCommands)
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
	if r.ExecutedWithoutRecord > 0 || r.RecordsNotInLog > 0 {
		fmt.Fprintf(w, "note: %d executed commands without a client record, %d recorded executions missing from the order log\n",
			r.ExecutedWithoutRecord, r.RecordsNotInLog)
	}
	for _, ex := range r.Examples {
		fmt.Fprintf(w, "  %s at entry %d: %s\n", ex.Kind, ex.Entry, ex.Detail)
	}
	if r.OK() {
		fmt.Fprintln(w, "OK")
	}
}
