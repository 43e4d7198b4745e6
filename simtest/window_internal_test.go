package simtest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// netTimeout is an error of the kind many packages have, with a TimedOut
// method of its own and nothing of a check's.
type netTimeout struct{}

func (netTimeout) Error() string  { return "i/o timeout" }
func (netTimeout) TimedOut() bool { return true }

// checkCut is a check's error that real time cut short, as a
// *history.Error is.
type checkCut struct{}

func (checkCut) Error() string      { return "the check did not finish" }
func (checkCut) Inconclusive() bool { return true }
func (checkCut) TimedOut() bool     { return true }

// Only a check's error is read as a check that real time cut short or
// that could not finish; another error's TimedOut is its own business.
func TestOnlyACheckIsReadAsCutByTime(t *testing.T) {
	assert.False(t, cutByTime(fmt.Errorf("dial: %w", netTimeout{})))
	assert.False(t, unfinishedCheck(fmt.Errorf("dial: %w", netTimeout{})))
	assert.True(t, cutByTime(fmt.Errorf("workload check: %w", checkCut{})))
	assert.True(t, unfinishedCheck(fmt.Errorf("workload check: %w", checkCut{})))
}
