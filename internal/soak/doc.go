// Package soak runs a local cluster of real replica processes for a long
// time, optionally under a fault schedule repeated over the whole run,
// and judges whether the replicas' resources stay bounded: for resident
// memory, goroutines and the disk of the block store, it compares the
// mean of the first quarter of the run with that of the last quarter and
// fits a least-squares slope, and flags growth beyond a stated
// tolerance. It also carries the run's consistency verdict (no violation,
// no acknowledged command lost). It writes soak.json and soak.csv, then
// has pompe-charts draw the charts from soak.csv (package chartcmd); a
// soak without pompe-charts says how to draw them and does not fail.
//
// The cluster itself is internal/local's: soak adds the repeated fault
// schedule, the long sampling and the verdict.
package soak
