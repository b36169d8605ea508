// Package measure is the one small interface through which modules offer
// the counts they keep (enterprises registered, licences renewed, samples
// tested…), so that a task can follow the data instead of a typed
// percentage. A module registers its counts when the program starts; the
// plan package reads them by key.
package measure

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Counter is one count a module keeps.
type Counter struct {
	Key    string // stable, e.g. "registry.enterprises.registered"
	NameZH string
	NameEN string
	Unit   string // message key of the unit, e.g. "unit.enterprises"
	// Count returns the count for a region (and the regions under it) over
	// [from, to), both calendar days in Asia/Shanghai.
	Count func(ctx context.Context, q store.Queryer, region string, from, to time.Time) (float64, error)
}

var (
	mu       sync.RWMutex
	counters = map[string]Counter{}
)

// Register adds a counter; registering a key twice is a programming error.
func Register(c Counter) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := counters[c.Key]; dup {
		panic("measure: counter registered twice: " + c.Key)
	}
	counters[c.Key] = c
}

// Get returns the counter with key.
func Get(key string) (Counter, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := counters[key]
	return c, ok
}

// All lists the registered counters by key.
func All() []Counter {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Counter, 0, len(counters))
	for _, c := range counters {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
