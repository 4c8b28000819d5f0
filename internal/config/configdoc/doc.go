// Package configdoc renders the reference of every config.toml key, with
// its default and description, from the doc tags of internal/config, so
// that docs/configuration.md cannot drift from the code: a test compares
// the file with what this package generates.
package configdoc

//go:generate go run ./gendoc ../../../docs/configuration.md
