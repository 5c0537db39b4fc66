//go:build unix

package bench_test

import (
	"syscall"
	"testing"
)

// cpuClock reads the CPU time (user + system) of the whole process: client,
// server, transport goroutines and the garbage collector alike.
type cpuClock struct{ start int64 }

func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

// report adds cpu-ns/op: the process's CPU time since startCPU divided by
// b.N. Unlike ns/op it does not grow while goroutines wait for a core on a
// busy machine, and it counts work done off the caller's critical path (GC
// workers, transport goroutines) in full.
func (c cpuClock) report(b *testing.B) {
	if c.start == 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}
