//go:build !race

package testsrv

// RaceEnabled reports whether the race detector is on. Under it sync.Pool
// drops objects at random, so allocation counts through grpc-go's pools vary
// by a few between runs.
const RaceEnabled = false
