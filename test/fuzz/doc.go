// Package fuzz holds TestShortFuzz, which runs every fuzz target of the
// module for a short while as part of the ordinary test suite, so that
// `go test ./...` (the command of README.md and .ci/run) fuzzes every
// message decoder, proof and certificate validator, the config loader and
// the client API a little on each run. The committed seed corpora under
// each package's testdata/fuzz run anyway as plain tests; this package
// adds new inputs. bench/fuzz-short.sh runs the same targets for longer.
package fuzz
