//go:build !race

package simtest

// raceDetector reports whether the race detector is built in: testing
// then marks a test failed for a data race it reports.
const raceDetector = false
