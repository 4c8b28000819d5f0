// Command pompe-charts draws pompe's charts as PNG and SVG: those of `pompe
// report --plot` from run directories, and those of a soak from its
// soak.csv.
//
// It is a command of its own because the plotting library
// (gonum.org/v1/plot, with its fonts, LaTeX, PDF and rasterizer packages)
// would lengthen the cold build of the pompe binary, which replicas run.
// `pompe report --plot` and `pompe soak` run it when it is next to pompe
// or in PATH (see internal/chartcmd):
//
//	go build -o bin/pompe ./cmd/pompe
//	go build -o bin/pompe-charts ./cmd/pompe-charts
package main
