//go:build !race

package compress_test

// raceEnabled is true under -race, where sync.Pool drops objects at random.
const raceEnabled = false
