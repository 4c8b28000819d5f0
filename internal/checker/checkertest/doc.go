// Package checkertest edits the records of a real run, committed under
// internal/checker/testdata, into runs that break one rule each, for the
// tests of the checker and of the `pompe check` command.
package checkertest
