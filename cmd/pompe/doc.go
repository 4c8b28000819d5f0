// Command pompe runs and measures Pompe clusters: it generates testnets,
// runs replicas, submits commands, simulates and checks runs. Every
// subcommand is a thin layer over an internal package; see `pompe help`.
package main
