//go:build !race

package simtest

// raceDetector reports whether the race detector is built in: testing
// then marks a test failed for a data race it reports.
const raceDetector = false

// raceSlowdown scales the default of MaxWallPerInstant under the race
// detector; see race.go.
const raceSlowdown = 1
