// Package chartcmd finds and runs pompe-charts, the command that draws
// pompe's charts, for the commands of pompe that offer them (`pompe report
// --plot`, `pompe soak`).
//
// The charts are drawn in a command of their own so that the plotting
// library (gonum.org/v1/plot with its fonts, LaTeX, PDF and rasterizer
// packages) stays off the import path of the pompe binary, whose cold
// build it would otherwise lengthen. pompe-charts is looked for first next
// to the pompe executable (where `go build -o DIR/pompe-charts
// ./cmd/pompe-charts` puts it), then in PATH. When it is missing, the
// error says how to build it and how to draw the same charts with `go
// run`.
package chartcmd
