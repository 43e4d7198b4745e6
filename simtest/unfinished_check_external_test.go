package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// unfinishedCheck is the error of a check that could not finish, as a
// *history.Error whose search ran out of steps or, cut by real time
// (timedOut), of time.
type unfinishedCheck struct{ timedOut bool }

func (e unfinishedCheck) Error() string {
	return "the check of the history did not finish, so whether it is linearizable is unknown"
}
func (unfinishedCheck) Inconclusive() bool { return true }
func (unfinishedCheck) At() time.Time      { return time.Time{} }
func (e unfinishedCheck) TimedOut() bool   { return e.timedOut }

// checkUnfinished is a workload whose Check could not finish.
type checkUnfinished struct{ checkFails }

func (checkUnfinished) Check(context.Context, providers.Providers) error {
	return unfinishedCheck{}
}

// A final check that could not finish found nothing wrong: the report
// says so, not that the state was found wrong; a check that did find it
// wrong beside it keeps the usual hint.
func TestReportSaysAnUnfinishedCheckFoundNothingWrong(t *testing.T) {
	phases := simtest.Phases{Chaos: time.Second, Settle: time.Second}
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot().Run(phases, checkUnfinished{})
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.NotContains(t, res.Report, checkHint)
	assert.Contains(t, res.Report, "\n  only the final check failed, and it could not finish at 1s: it found nothing wrong, and whether the state is right is unknown; "+
		"give the check more to work with (history's MaxSteps and Timeout) or less to do (Model.Partition; LeaveOutUnread for writes of unknown outcome no read saw)\n")

	res = simtest.Simulate(func(s *simtest.S) {
		s.Boot().Run(phases, checkUnfinished{}, checkFails{})
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, checkHint)
	assert.NotContains(t, res.Report, "could not finish")
}

// TestCheckDeterminismNamesACheckCutByRealTime: two runs that took the
// same steps, one of which failed at a check that real time cut short,
// are told as such, not blamed on state that escapes the simulation.
func TestCheckDeterminismNamesACheckCutByRealTime(t *testing.T) {
	for _, timedOut := range []bool{true, false} {
		runs := 0
		r := runIn("TestCutByRealTime", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				runs++
				if runs%2 == 0 { // each seed's second run
					s.Errorf("workload check: %w", unfinishedCheck{timedOut: timedOut})
				}
			}, simtest.Seeds(2), simtest.KeepGoing(), simtest.CheckDeterminism())
		})
		out := r.output()
		require.True(t, r.failed, out)
		assert.Contains(t, out, "every step agrees, but the runs ended differently")
		if !timedOut {
			assert.Contains(t, out, "failed: the run is not deterministic")
			assert.Contains(t, out, "math/rand's global source")
			continue
		}
		assert.Contains(t, out, "failed: its two runs ended differently, as real time cut a check short")
		assert.Contains(t, out, "the same seed ran twice and took the same path, and ended differently; a check in it was cut short by its real-time limit (history's Timeout) in one run at least, "+
			"so the machine's speed, not the code under test, may be what decided it; bound the check by its work instead")
		assert.Regexp(t, `seed \d+: its two runs ended differently, as real time cut a check short: every step agrees`, out)
		assert.NotContains(t, out, "package variable")
		assert.NotContains(t, out, "not deterministic")
	}
}
