package simtest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

// The interrupt's message counts what ran as the -timeout stop's does:
// one seed is "1 seed", and an exploration's are timelines, not seeds of
// the count it would have run.
func TestInterruptErrorCounts(t *testing.T) {
	assert.Contains(t, interruptError(os.Interrupt, 1, 1, false), "the Run stopped after 1 seed, as the process was sent interrupt")
	assert.Contains(t, interruptError(os.Interrupt, 3, 100, false), "the Run stopped after 3 of 100 seeds, as the process was sent interrupt")
	assert.Contains(t, interruptError(os.Interrupt, 12, 100, true), "the Run stopped after 12 timelines, as the process was sent interrupt (a cancelled CI job, a Ctrl-C), to report what its timelines found")
}

// A Run's hearing of interrupts ends with it: a user's test that checks
// for leaked goroutines (goleak) after its Run finds none of the Run's.
func TestARunLeavesNoGoroutineHearingInterrupts(t *testing.T) {
	before := goleak.IgnoreCurrent()
	Run(t, func(s *S) {}, Seeds(2))
	goleak.VerifyNone(t, before)
}
