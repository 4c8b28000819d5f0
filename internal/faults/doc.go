// Package faults owns fault schedules for clusters of real `pompe node`
// processes: what goes wrong, to which replicas, when and for how long
// (a preset name or a TOML schedule file), executing a schedule against a
// running cluster (signals to processes, the node's test-only
// /debug/fault endpoints), and judging the run afterwards from the client
// records and execution logs: acknowledged commands lost, replicas that
// did not catch up, and the time until throughput recovered.
//
// A schedule never makes more than f replicas faulty at once (for a
// partition, the smaller side counts), so a correct cluster must keep
// every acknowledged command and recover once the faults end.
package faults
