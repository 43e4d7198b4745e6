package simtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
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

// A seed that failed beside other seeds and failed otherwise alone is not
// said to pass alone; one whose check real time cut short is not blamed
// on other seeds at all.
func TestASeedRunAgainAloneIsToldAsItEnded(t *testing.T) {
	r := &runner{outside: true}
	beside := &seedOutcome{res: sim.Result{Seed: 7, Trace: 1, Err: errors.New("met another seed")}, workers: 2}
	failedAlone := &seedOutcome{res: sim.Result{Seed: 7, Trace: 2, Err: errors.New("a failure of its own")}}
	require.True(t, r.tellAlone(beside, failedAlone))
	assert.Contains(t, beside.alone, "seed 7 failed beside other seeds on 2 workers, and otherwise alone")
	assert.NotContains(t, beside.alone, "and not alone")

	beside = &seedOutcome{res: sim.Result{Seed: 7, Trace: 1, Err: errors.New("timed out")}, workers: 2, s: &S{timedOut: true}}
	passedAlone := &seedOutcome{res: sim.Result{Seed: 7, Trace: 2}}
	assert.False(t, r.tellAlone(beside, passedAlone), "a check real time cut short differs for no seed's sake")
	assert.Empty(t, beside.alone)
}

// A failure of the test's own testing.T with one seed running then is
// that seed's, not a guess.
func TestOneSeedRunningIsNoGuess(t *testing.T) {
	o := &seedOutcome{res: sim.Result{Seed: 7}, viaT: true, workers: 2}
	r := &runner{outside: true, viaTSeeds: []seedDone{{o: o}}}
	assert.Empty(t, r.viaTGuess(o))
	r.viaTSeeds = append(r.viaTSeeds, seedDone{i: 1, o: &seedOutcome{res: sim.Result{Seed: 8}, viaT: true, workers: 2}})
	assert.Contains(t, r.viaTGuess(o), "this seed is a guess: the Run ran 2 seeds at once, seeds 7, 8 were running")
}

func TestNamesWord(t *testing.T) {
	for _, tc := range []struct {
		msg, name string
		want      bool
	}{
		{"reboot: kv-1 (crash)", "kv-1", true},
		{"reboot: kv-12 (crash)", "kv-1", false},
		{"reboot: xkv-1 (crash)", "kv-1", false},
		{"kv-1", "kv-1", true},
		{"lease moved to kv-1.", "kv-1", true},
		{"lease moved to kv-1.5", "kv-1", false},
		{"partition {10.0.0.1} | {10.0.0.12}", "10.0.0.1", true},
		{"partition {10.0.0.12}", "10.0.0.1", false},
		{"kv-12 then kv-1, then", "kv-1", true},
	} {
		assert.Equal(t, tc.want, namesWord(tc.msg, tc.name), "%q in %q", tc.name, tc.msg)
	}
}
