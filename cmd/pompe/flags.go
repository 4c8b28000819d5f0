package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pompe-bft/pompe/internal/config"
)

// parseMode checks a --mode value.
func parseMode(s string) (config.Mode, error) {
	m := config.Mode(strings.ToLower(strings.TrimSpace(s)))
	if !m.Valid() {
		return "", usageError{fmt.Errorf("--mode %q: want %s or %s", s, config.ModePompe, config.ModeHotStuff)}
	}
	return m, nil
}

// parseIndexList parses "0,1,2" (empty: nil).
func parseIndexList(flag, s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 0 {
			return nil, usageError{fmt.Errorf("--%s %q: want replica indexes like 0,1,2", flag, s)}
		}
		out = append(out, n)
	}
	return out, nil
}

// positive checks that an integer flag is at least 1.
// intFlag is an integer flag's name and value, for positiveFlags.
type intFlag struct {
	name string
	v    int
}

// positiveFlags checks that every flag is at least 1.
func positiveFlags(flags ...intFlag) error {
	for _, f := range flags {
		if err := positive(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func positive(flag string, v int) error {
	if v < 1 {
		return usageError{fmt.Errorf("--%s %d: want at least 1", flag, v)}
	}
	return nil
}
