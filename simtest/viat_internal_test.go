package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/internal/testenv"
)

// A seed that failed through the test's own testing.T names a data race
// as the likely cause when the race detector is on, for which testing
// marks a test failed and no call is to be moved to s; without it, the
// fix is s.Errorf.
func TestViaTNamesARaceUnderTheRaceDetector(t *testing.T) {
	race := viaTWords(true)
	assert.Contains(t, race, "the race detector is on, and testing marks a test failed when it reports a data race, "+
		"so a \"WARNING: DATA RACE\" report above may be the cause: fix the race it names")
	assert.Contains(t, race, "otherwise t.Error, t.Errorf or t.Fail was called from the body or one of its tasks: call s.Errorf")

	plain := viaTWords(false)
	assert.NotContains(t, plain, "race")
	assert.Contains(t, plain, "(t.Error, t.Errorf or t.Fail called from the body or one of its tasks); call s.Errorf on the body's *simtest.S instead")
	assert.Equal(t, testenv.Race, raceDetector, "the race detector is this build's")
}
