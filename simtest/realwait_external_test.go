package simtest_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// waitsOnTheWallClock is a task's wait on real time: long enough that a
// watcher starved of the processor for a second, on a loaded machine,
// still samples it under way.
func waitsOnTheWallClock() { time.Sleep(2 * time.Second) }

// A task that waits on real time and comes back, before a failure, is
// named in the failure's report with where it waited: a wait that
// simulated time could not end (testify's Eventually is one) is why the
// failure came at simulated 0s.
func TestAFailureTellsOfAWaitOnRealTime(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		h := s.Go("poller", func(context.Context) error {
			waitsOnTheWallClock()
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
		s.Errorf("the condition never held")
	}, simtest.Seeds(1), simtest.Watchdog(5*time.Second), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `task "poller" waited [0-9.]+m?s of real time outside the simulation \(sleep\), then went on, at:\n(\s+\S+\n){0,2}\s+\S*waitsOnTheWallClock\n`, res.Report)
	assert.Contains(t, res.Report, "a wait on real time (time.Sleep, a time.Ticker or time.After, testify's Eventually) passes while simulated time stands still")

	quick := simtest.Simulate(func(s *simtest.S) { s.Errorf("no wait") }, simtest.Seeds(1), simtest.KeepFailures(false))
	assert.NotContains(t, quick.Report, "of real time outside the simulation", "no wait, no word of one")
	assert.NotContains(t, quick.Report, "waited on real time")
}

// A seed that waits on real time and passes fails the test, though not
// the seed, with where the first such wait was and how to mend it: code
// that keeps the wall clock tests nothing of what it waits for. A wait in
// a function that AllowWallClock names is let be.
func TestARunFailsWhenASeedWaitedOnRealTime(t *testing.T) {
	first := true
	res := simtest.Simulate(func(s *simtest.S) {
		if first {
			first = false
			waitsOnTheWallClock()
		}
	}, simtest.Seeds(2), simtest.Watchdog(5*time.Second))
	require.False(t, res.OK(), res.Report)
	assert.Equal(t, 2, res.Passed, "the seeds pass; the test fails")
	assert.Regexp(t, `(?m)^simtest: 1 seed waited on real time outside the simulation, half a second or more: seed=\d+'s task "driver" waited [0-9.]+m?s \(sleep\) in time\.Sleep \(time\.go:\d+\), at:\n(.*\n){2}\s+\S*waitsOnTheWallClock\n`, res.Report)
	assert.Contains(t, res.Report, "the test fails, though they passed: wait with the providers (s.Sleep, p.Time.Sleep, providers.Wait, or S.Eventually for a condition over time; docs/pitfalls.md), "+
		"or, for a library that waits and that the test cannot change, let it with simtest.AllowWallClock")
	assert.Contains(t, res.Report, "2 seeds, 2 passed, 0 failed, but code that keeps the wall clock fails the test;")

	first = true
	allowed := simtest.Simulate(func(s *simtest.S) {
		if first {
			first = false
			waitsOnTheWallClock()
		}
	}, simtest.Seeds(2), simtest.Watchdog(5*time.Second), simtest.AllowWallClock("github.com/moonpool-go/moonpool/simtest_test.waitsOnTheWallClock"))
	require.True(t, allowed.OK(), allowed.Report)
	assert.NotContains(t, allowed.Report, "waited on real time")
}

// Seeds that took wall time while simulated time never moved are told of
// in the summary, though each wait was too short to be named: the code
// under test waited on the wall clock beside the simulation.
func TestTheSummaryTellsOfWallTimeWithoutSimulatedTime(t *testing.T) {
	// On a loaded machine a 15 ms sleep can take half a second, which is
	// then rightly named: such an attempt is run again.
	var res simtest.Result
	for attempt := 0; ; attempt++ {
		var longest atomic.Int64
		res = simtest.Simulate(func(s *simtest.S) {
			for range 10 {
				start := time.Now()
				time.Sleep(15 * time.Millisecond) // a ticker's beat, say
				if d := int64(time.Since(start)); d > longest.Load() {
					longest.Store(d)
				}
			}
		}, simtest.Seeds(8))
		if time.Duration(longest.Load()) < 400*time.Millisecond || attempt == 4 {
			break
		}
	}
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    simulated time never moved, yet the 8 seeds took [0-9.]+m?s of wall time: unless that was computation, the code under test waits on the wall clock`, res.Report)
	assert.NotContains(t, res.Report, "waited on real time outside the simulation, half a second or more", "each wait too short to be named")

	moved := simtest.Simulate(func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Seeds(4))
	assert.NotContains(t, moved.Report, "simulated time never moved")
}

// A wait on real time in the body itself is named by the body's own
// frames, as a task's is: the watchdog samples the wait while it is under
// way, not once the body has come back into the engine. (The sleep is
// long enough that a late watchdog on a loaded machine still finds it
// under way.)
func TestAWaitOnRealTimeInTheBodyIsNamedByItsOwnLine(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		time.Sleep(1500 * time.Millisecond)
		s.Errorf("the condition never held")
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `task "driver" waited [0-9.]+m?s of real time outside the simulation \(sleep\), then went on, at:\n\s+time\.Sleep\n\s+\S+\n\s+\S*TestAWaitOnRealTimeInTheBodyIsNamedByItsOwnLine\.func1\n\s+\S*realwait_external_test\.go:\d+\n`, res.Report)
	assert.NotContains(t, res.Report, "iter.Pull")
	// The failing seed's report tells the wait once; the test does not
	// fail a second time for it, as if the seed had passed.
	assert.Equal(t, 1, strings.Count(res.Report, `task "driver" waited`), res.Report)
	assert.NotContains(t, res.Report, "though they passed")
	assert.NotContains(t, res.Report, "code that keeps the wall clock fails the test")
}

// onceFixture is a fixture built once for the binary, behind a
// sync.OnceValue: computation, not a wait.
var onceFixture = sync.OnceValue(func() int {
	end := time.Now().Add(1200 * time.Millisecond)
	n := 0
	for time.Now().Before(end) {
		n++
	}
	return n
})

// A seed that waits on a sync.Once that another seed holds while it
// computes waited on real time, but not on the wall clock: the test
// passes, and the summary's note names the code that waited, not the
// frames of package sync.
func TestAWaitOnAnotherSeedsComputationFailsNothing(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		if onceFixture() == 0 {
			s.Error("the fixture computed nothing")
		}
	}, simtest.Seeds(4), simtest.Workers(2), simtest.Watchdog(5*time.Second))
	require.True(t, res.OK(), res.Report)
	assert.NotContains(t, res.Report, "fails the test")
	if strings.Contains(res.Report, "waited on real time") { // as the machine schedules the workers
		assert.Regexp(t, `waited [0-9.]+m?s \(sync\.Mutex\.Lock\) in \S+/simtest_test\.TestAWaitOnAnotherSeedsComputationFailsNothing\.func1 \(realwait_external_test\.go:\d+\); .*unless another seed or a parallel Run held what it waited for`, res.Report)
	}
}
