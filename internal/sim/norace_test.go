//go:build !race

package sim

const seedsPerCase = 40
