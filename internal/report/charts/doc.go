// Package charts draws a report's charts with gonum/plot, each as PNG and
// SVG: latency CDFs (ordering and execution), throughput over time,
// latency over time, and, when the report holds runs of both modes, Pompe
// against the HotStuff baseline (throughput against latency, one point per
// run). Runs whose directory has a resources.json add each replica's
// resident memory and CPU over time.
package charts
