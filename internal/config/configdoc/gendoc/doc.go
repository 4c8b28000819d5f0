// Command gendoc writes the configuration reference (package configdoc)
// to the file named by its argument.
package main
