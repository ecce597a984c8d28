//go:build race

package csvexport

// raceEnabled reports whether the tests run under the race detector, which slows encoding down
// about tenfold.
const raceEnabled = true
