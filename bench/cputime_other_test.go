//go:build !unix

package bench_test

import "testing"

// cpuClock is unavailable off unix: no cpu-ns/op is reported.
type cpuClock struct{}

func startCPU() cpuClock           { return cpuClock{} }
func (cpuClock) report(*testing.B) {}
