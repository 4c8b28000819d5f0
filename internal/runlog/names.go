package runlog

import (
	"fmt"
	"strconv"
	"strings"
)

// File name patterns inside a run directory. N is the replica id (the id
// that also appears in client records' replica_ts) or the client's index.
const (
	execLogPrefix       = "replica"
	execLogSuffix       = ".exec.tsv"
	clientRecordsPrefix = "client"
	clientRecordsSuffix = ".records.jsonl"
)

// ExecLogName returns the file name of replica's execution log.
func ExecLogName(replica int) string {
	return fmt.Sprintf("%s%d%s", execLogPrefix, replica, execLogSuffix)
}

// ClientRecordsName returns the file name of client's command records.
func ClientRecordsName(client int) string {
	return fmt.Sprintf("%s%d%s", clientRecordsPrefix, client, clientRecordsSuffix)
}

// ParseExecLogName returns the replica id in an execution log file name.
func ParseExecLogName(name string) (replica int, ok bool) {
	return parseNumbered(name, execLogPrefix, execLogSuffix)
}

// ParseClientRecordsName returns the client index in a client record file
// name.
func ParseClientRecordsName(name string) (client int, ok bool) {
	return parseNumbered(name, clientRecordsPrefix, clientRecordsSuffix)
}

func parseNumbered(name, prefix, suffix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, suffix)
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}
