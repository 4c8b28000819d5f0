// Package cluster owns running a generated testnet on other machines over
// SSH: the inventory file (which hosts run which replicas and clients, how
// to log in, where to put things), copying the binary and homes, starting
// replicas as background services with pid files, stopping them, showing
// what runs where, running the load generator on client hosts, fetching
// every log back and aggregating the results. Every operation works on all
// hosts at once and names the host and step of each failure.
package cluster
