// Package cliexit runs the command line of a pompe command (pompe,
// pompe-charts, pompe-k8s) and turns its outcome into the exit codes they
// share: 0 for success, 1 for an error (printed on one line, prefixed with
// the command's name), 2 for a bad flag, argument or command name (the
// error, then where to find the usage). A failure whose details the
// command already printed exits 1 without a second message.
package cliexit
