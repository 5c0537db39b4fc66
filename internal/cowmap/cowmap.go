// Package cowmap is a copy-on-write map for what every call reads and few
// calls add: the tracing and metrics interceptors' per-method caches. A read
// is one atomic load and a map lookup, without a lock and without
// allocating; an addition copies the map under a mutex. Once the map holds
// its limit, Add answers without the mutex too, so a full cache facing a
// stream of new keys (client-chosen method names) is never contended.
//
//	var starts cowmap.Map[string, *spanStart]
//	s, ok := starts.Load(method)
//	if !ok {
//		if starts.Len() >= 1024 {
//			return shared // a bounded fallback, such as "_OTHER"
//		}
//		s = starts.Add(method, 1024, func() *spanStart { return build(method) })
//	}
//
// It is not API: nothing outside this module can import it.
package cowmap

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Map is a copy-on-write map. The zero value is empty and ready to use. It
// is safe for concurrent use and must not be copied after first use.
type Map[K comparable, V any] struct {
	mu sync.Mutex // serialises Add
	m  atomic.Pointer[map[K]V]
}

// Load returns the value stored under k and whether there is one.
func (c *Map[K, V]) Load(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// Add returns the value stored under k, building it with build and storing
// it when there is none. build runs under the map's mutex, at most once per
// call of Add, and never when k is already present. When the map already
// holds limit entries the built value is returned without being stored, so
// the map never grows past limit: the caller keeps working, only without
// the cache. A full map is detected before the mutex is taken: Add on a
// full map costs build and one atomic load, and never waits.
func (c *Map[K, V]) Add(k K, limit int, build func() V) V {
	if old := c.m.Load(); old != nil {
		if cur, ok := (*old)[k]; ok {
			return cur
		}
		if len(*old) >= limit {
			return build()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	var n int
	if old != nil {
		if cur, ok := (*old)[k]; ok {
			return cur
		}
		n = len(*old)
	}
	v := build()
	if n >= limit {
		return v
	}
	m := make(map[K]V, n+1)
	if old != nil {
		maps.Copy(m, *old)
	}
	m[k] = v
	c.m.Store(&m)
	return v
}

// Len reports how many entries are stored.
func (c *Map[K, V]) Len() int {
	if m := c.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}
