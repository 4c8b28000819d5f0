// Package bounded provides the bounded containers pompe uses for caches and
// memories of recent events: a map with a fixed capacity that forgets its
// oldest entry to make room (FIFO), and a mutex-guarded set for caches that
// several goroutines fill (verified signatures).
package bounded
