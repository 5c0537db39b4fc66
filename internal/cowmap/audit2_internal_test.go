package cowmap

import (
	"testing"
	"time"
)

// TestAddFullTakesNoLock: once the map holds its limit, Add answers without
// the mutex (it used to lock on every call for a new key, so a server facing
// client-chosen method names serialised every call on it). The mutex is
// held here by the test, as a concurrent Add would hold it.
func TestAddFullTakesNoLock(t *testing.T) {
	var m Map[string, int]
	m.Add("a", 1, func() int { return 1 })
	m.mu.Lock()
	defer m.mu.Unlock()
	done := make(chan int, 2)
	go func() { done <- m.Add("b", 1, func() int { return 2 }) }()
	go func() { done <- m.Add("a", 1, func() int { return 9 }) }()
	for range 2 {
		select {
		case v := <-done:
			if v != 1 && v != 2 {
				t.Errorf("Add returned %d, want the stored 1 or the built 2", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Add on a full map waited for the mutex")
		}
	}
	if _, ok := m.Load("b"); ok || m.Len() != 1 {
		t.Errorf("full map: b stored or Len %d; want not stored, 1", m.Len())
	}
}
