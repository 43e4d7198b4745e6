//go:build race

package simtest

// raceDetector reports whether the race detector is built in: testing
// then marks a test failed for a data race it reports.
const raceDetector = true

// raceSlowdown scales the default of MaxWallPerInstant: code runs tens of
// times slower under the race detector, and a workload at one instant
// that passes in a minute without it needs several with it.
const raceSlowdown = 10
