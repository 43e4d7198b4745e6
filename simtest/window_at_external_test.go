package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// staleRead is an error that names the time of the operation it is
// about, as a history that is not linearizable does.
type staleRead struct{ at time.Time }

func (e staleRead) Error() string { return "a stale read, called at " + e.at.Format(time.StampMilli) }
func (e staleRead) At() time.Time { return e.at }

// checkAtEnd is a seed's body that logs a line every 100 ms for 30 s, the
// line at 12.6 s telling of a crash, and at the end fails with the error
// fail makes of the time of the crash; runs counts the body's runs.
func checkAtEnd(runs *atomic.Int32, fail func(s *simtest.S, at time.Time)) func(s *simtest.S) {
	return func(s *simtest.S) {
		runs.Add(1)
		log := s.Logger()
		var crash time.Time
		for i := range 300 {
			if i == 126 {
				crash = s.Now()
				log.Info("reboot: reg-1 (crash), just after it acknowledged write(28)")
			} else {
				log.Info(fmt.Sprintf("tick %d", i))
			}
			s.Sleep(100 * time.Millisecond)
		}
		log.Info("checking the history")
		fail(s, crash)
	}
}

// A failure found by a check at the end whose error names an earlier
// time gets its window there: the seed runs once more, and the report
// shows the entries around that time, and says why.
func TestReportWindowIsAtTheTimeTheFailureNames(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func(s *simtest.S, at time.Time)
		failedAt string
	}{
		{"Errorf with %w", func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at}) }, "30s"},
		{"Fatal", func(s *simtest.S, at time.Time) { s.Fatal("check:", staleRead{at}) }, "30s"},
		{"Error of a wrapped error", func(s *simtest.S, at time.Time) { s.Error(fmt.Errorf("check: %w", staleRead{at})) }, "30s"},
		{"an assertion's details", func(s *simtest.S, at time.Time) {
			assertions.Always(s.Context(), false, "the history is linearizable", "error", staleRead{at})
		}, "30s"},
		{"an Eventually's last error", func(s *simtest.S, at time.Time) {
			s.Quiesce()
			s.Eventually("the reads catch up", time.Second, func() error { return staleRead{at} })
		}, "31s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var runs atomic.Int32
			res := simtest.Simulate(checkAtEnd(&runs, tc.fail), simtest.Seeds(1))
			require.False(t, res.OK())
			assert.Equal(t, 1, res.Seeds)
			assert.Equal(t, int32(2), runs.Load(), "the failing seed ran once more, to show its window at the named time")
			assert.Contains(t, res.Report, "a stale read, called at Jan  1 00:00:12.600", "the error's own text, wrapped or not")
			timeline := failureWindow(t, res, "the window is at 12.6s, the time the first failure names; the failure itself came at "+tc.failedAt+"\n"+ranAgain+"  timeline around 12.6s (")
			assert.Contains(t, timeline, "reboot: reg-1 (crash)", "the entry at the named time")
			assert.Contains(t, timeline, "tick 125", "entries before it")
			assert.Contains(t, timeline, "tick 127", "entries after it")
			assert.NotContains(t, timeline, "checking the history", "the failure's end is not")
			assert.NotContains(t, timeline, "tick 299")
			assert.Contains(t, timeline, "-simtimeline=FILE writes them all")
		})
	}
}

// The window around a named time holds as many entries after it as before
// it, as many in all as a window around the failure.
func TestReportWindowAtANamedTimeIsCentred(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(checkAtEnd(&runs, func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at}) }), simtest.Seeds(1))
	timeline := failureWindow(t, res, "timeline around 12.6s")
	var before, after int
	for _, line := range strings.Split(timeline, "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		at, err := time.ParseDuration(fields[0])
		if err != nil {
			continue
		}
		if at <= 12600*time.Millisecond {
			before++
		} else {
			after++
		}
	}
	assert.Equal(t, 36, before, timeline)
	assert.Equal(t, 36, after, timeline)
}

// A failure whose error names no time keeps its window at the failure,
// and the seed runs once.
func TestReportWindowStaysAtAFailureThatNamesNoTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(s *simtest.S, at time.Time)
	}{
		{"no At", func(s *simtest.S, at time.Time) { s.Errorf("check: %w", errors.New("a stale read")) }},
		{"At as %v, not wrapped", func(s *simtest.S, at time.Time) { s.Errorf("check: %v", staleRead{at}) }},
		{"a zero time", func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{}) }},
		{"a time before the seed", func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at.Add(-time.Hour)}) }},
		{"a time after the failure", func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{s.Now().Add(time.Second)}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var runs atomic.Int32
			res := simtest.Simulate(checkAtEnd(&runs, tc.fail), simtest.Seeds(1))
			timeline := failureWindow(t, res, "timeline around the first failure, at 30s")
			assert.Equal(t, int32(1), runs.Load())
			assert.NotContains(t, res.Report, "the time the first failure names")
			assert.Contains(t, timeline, "checking the history")
		})
	}
}

// A named time the window around the failure already shows moves
// nothing: the seed runs once, and the heading says the window holds it.
func TestReportWindowStaysWhenItHoldsTheNamedTime(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(func(s *simtest.S) {
		runs.Add(1)
		s.Sleep(time.Second)
		at := s.Now()
		s.Logf("the stale read")
		s.Sleep(time.Second)
		s.Errorf("check: %w", staleRead{at})
	}, simtest.Seeds(1))
	timeline := failureWindow(t, res, "timeline around the first failure, at 2s, back to 1s, the time it names")
	assert.Contains(t, timeline, "the stale read")
	assert.Equal(t, int32(1), runs.Load())
}

// Only the first failure counts: a later one naming a time moves nothing.
func TestReportWindowFollowsTheFirstFailureOnly(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(checkAtEnd(&runs, func(s *simtest.S, at time.Time) {
		s.Errorf("check: a lost write")
		s.Errorf("check: %w", staleRead{at})
	}), simtest.Seeds(1))
	failureWindow(t, res, "timeline around the first failure, at 30s")
	assert.Equal(t, int32(1), runs.Load())
}

// A passing Run never runs a seed again, nor do the seeds of a failing
// one but the one its report shows.
func TestReportWindowRunsOnlyTheReportedSeedAgain(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(func(s *simtest.S) {
		runs.Add(1)
		s.Sleep(time.Second)
	}, simtest.Seeds(20))
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, int32(20), runs.Load(), "a passing Run runs each seed once")

	for _, workers := range []int{1, 3} {
		runs.Store(0)
		body := checkAtEnd(&runs, func(s *simtest.S, at time.Time) {
			if s.Providers().Random.IntN(2) == 0 {
				s.Errorf("check: %w", staleRead{at})
			}
		})
		res = simtest.Simulate(body, simtest.Seeds(20), simtest.KeepGoing(), simtest.Workers(workers))
		require.Greater(t, res.Failed, 1, res.Report)
		assert.Equal(t, int32(21), runs.Load(), "on %d workers, every seed once, and the seed the report shows once more", workers)
		assert.Contains(t, res.Report, fmt.Sprintf("simtest: seed %d failed", res.FirstFailing))
		windowOf(t, res, "timeline around 12.6s")
	}
}

// A seed whose run again takes another path than its first is not
// deterministic: the report says so, and shows the window around the
// failure.
func TestReportWindowTellsASeedThatRanDifferentlyAgain(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(checkAtEnd(&runs, func(s *simtest.S, at time.Time) {
		if runs.Load() == 2 {
			s.Sleep(time.Millisecond) // state shared between runs: a path of its own
		}
		s.Errorf("check: %w", staleRead{at})
	}), simtest.Seeds(1))
	assert.Equal(t, int32(2), runs.Load())
	assert.Regexp(t, `the seed ran again to show the timeline at 12\.6s, the time its first failure names, and took a different path \(trace [0-9a-f]{16}, then [0-9a-f]{16}\): the run is not deterministic; something escapes the simulation`, res.Report)
	failureWindow(t, res, "timeline around the first failure, at 30s")
	assert.NotContains(t, res.Report, "the window is at")
}

// A process whose Run returns an error that names an earlier time gets
// its window there too.
func TestReportWindowIsAtTheTimeAProcessErrorNames(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(func(s *simtest.S) {
		runs.Add(1)
		s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process { return namingProcess{} }})
		s.Sleep(31 * time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off())) // a host's clock, skewed, reads apart from the seed's
	assert.Equal(t, int32(2), runs.Load())
	timeline := failureWindow(t, res, "the window is at 2s, the time the first failure names; the failure itself came at 30s\n")
	assert.Contains(t, timeline, "p-0/main")
}

// namingProcess logs every 100 ms, and after 30 s fails with an error
// naming the time 2 s.
type namingProcess struct{}

func (namingProcess) Run(ctx context.Context, p providers.Providers) error {
	var at time.Time
	for i := range 300 {
		if i == 20 {
			at = p.Time.Now()
		}
		p.Logger.Info("serving", "i", i)
		if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return staleRead{at}
}

// ranAgain is the line of a report whose window is at the time its
// failure names, after the line that says so.
const ranAgain = "  the seed ran once more to show it: a line its body logs through the test's own t, not its S, is logged again\n"

// windowOf is the timeline part of the failure report in res, from its
// heading, which begins with heading, to the summary.
func windowOf(t *testing.T, res simtest.Result, heading string) string {
	t.Helper()
	require.False(t, res.OK())
	i := strings.Index(res.Report, heading)
	require.GreaterOrEqual(t, i, 0, res.Report)
	n := strings.Index(res.Report[i:], "\nsimtest: ")
	require.GreaterOrEqual(t, n, 0, res.Report)
	return res.Report[i : i+n]
}

// An exploration's failing timeline, branched from its seed, runs again
// as that timeline, and so does a replay of its recipe.
func TestReportWindowOfABranchedTimeline(t *testing.T) {
	body := func(runs *atomic.Int32) func(s *simtest.S) {
		return func(s *simtest.S) {
			both := false
			s.Go("rare", func(ctx context.Context) error {
				s.Sleep(12600 * time.Millisecond)
				for i := range 2 {
					hit := s.Providers().Random.IntN(50) == 0
					assertions.Sometimes(ctx, hit, []string{"first rare event", "second rare event"}[i])
					if !hit {
						return nil
					}
				}
				s.Logger().Info("both rare events happened")
				both = true
				return nil
			})
			checkAtEnd(runs, func(s *simtest.S, at time.Time) {
				if both {
					s.Errorf("check: %w", staleRead{at})
				}
			})(s)
		}
	}
	var runs atomic.Int32
	res := simtest.Simulate(body(&runs), simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	require.Equal(t, 1, res.Failed, res.Report)
	require.Contains(t, res.Replay, "simtest.ReplayRecipe(")
	assert.Equal(t, int32(res.Seeds+1), runs.Load(), "every timeline once, and the failing one again")
	timeline := windowOf(t, res, "the window is at 12.6s, the time the first failure names; the failure itself came at 30s\n")
	assert.Contains(t, timeline, "both rare events happened")

	recipe := strings.TrimSuffix(strings.TrimPrefix(res.Replay, `simtest.ReplayRecipe("`), `")`)
	runs.Store(0)
	res = simtest.Simulate(body(&runs), simtest.ReplayRecipe(recipe))
	assert.Equal(t, int32(2), runs.Load())
	timeline = failureWindow(t, res, "the window is at 12.6s, the time the first failure names; the failure itself came at 30s\n")
	assert.Contains(t, timeline, "both rare events happened")
}

// A fuzz input that a replay line runs by name runs again to show its
// window at the named time; while fuzzing, when go test -fuzz runs a
// failing input again and again to minimize it, it does not.
func TestReportWindowOfAFuzzInput(t *testing.T) {
	var runs atomic.Int32
	ft, err := simtest.NewFuzzTarget("FuzzStale", checkAtEnd(&runs, func(s *simtest.S, at time.Time) {
		s.Errorf("check: %w", staleRead{at})
	}), simtest.Seeds(1))
	require.NoError(t, err)
	var corpus [][]byte
	runIn("FuzzStale", func(r *recorder) { corpus = ft.Corpus(r) })
	require.Len(t, corpus, 1)

	runs.Store(0)
	_, _, r := runInput(t, ft, "FuzzStale/seed#0", corpus[0])
	assert.Equal(t, int32(2), runs.Load())
	assert.Contains(t, r.output(), "the window is at 12.6s, the time the first failure names; the failure itself came at 30s\n")

	runs.Store(0)
	_, _, r = runInput(t, ft, "FuzzStale", corpus[0])
	assert.Equal(t, int32(1), runs.Load())
	assert.Contains(t, r.output(), "timeline around the first failure, at 30s")
}

// The faults before a window at a named time are those before that time.
func TestReportWindowAtANamedTimeHasTheFaultsBeforeIt(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process { return stopWaiter{} }})
		s.Go("rebooter", func(context.Context) error {
			s.Sleep(5 * time.Second)
			c.Reboot("p-0", simtest.Crash)
			return nil
		})
		checkAtEnd(&runs, func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at}) })(s)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	assert.Equal(t, int32(2), runs.Load())
	assert.Regexp(t, `\n  the window is at 12\.6s, the time the first failure names; the failure itself came at 30s\n`+
		regexp.QuoteMeta(ranAgain)+`  faults before the timeline below:\n +5s  reboot: p-0 \(crash\)\n`+
		`  timeline around 12\.6s \(`, res.Report)
}

// Under the determinism check, a seed runs twice and, to show its window
// at the named time, once more.
func TestReportWindowUnderTheDeterminismCheck(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(checkAtEnd(&runs, func(s *simtest.S, at time.Time) { s.Errorf("check: %w", staleRead{at}) }),
		simtest.Seeds(1), simtest.CheckDeterminism())
	assert.Equal(t, int32(3), runs.Load())
	windowOf(t, res, "the window is at 12.6s, the time the first failure names; the failure itself came at 30s\n")
}

// An Eventually that fails fails when its window closes, but what went
// wrong began as the window opened, when the faults stopped: a seed busy
// in between no longer reaches back there from the close, and its report
// shows the timeline around the opening, with the failure's time.
func TestReportWindowOfAFailedEventuallyIsWhereItsWindowOpened(t *testing.T) {
	var runs atomic.Int32
	res := simtest.Simulate(func(s *simtest.S) {
		runs.Add(1)
		log := s.Logger()
		s.Sleep(2 * time.Second)
		log.Info("the last fault ends")
		s.Quiesce()
		s.Eventually("the backlog drains", 5*time.Second, func() error { return errors.New("3 requests wait") })
		for i := range 600 {
			log.Info(fmt.Sprintf("retry %d", i))
			s.Sleep(10 * time.Millisecond)
		}
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Equal(t, int32(2), runs.Load(), "the failing seed ran once more, to show its window where the property's opened")
	assert.Contains(t, res.Report, `7s: Eventually "the backlog drains" failed`)
	timeline := failureWindow(t, res, "the window is at 2s, the time the first failure names; the failure itself came at 7s\n"+ranAgain+"  timeline around 2s (")
	assert.Contains(t, timeline, "the last fault ends", "an entry before the window opened")
	assert.Contains(t, timeline, `eventually "the backlog drains": its window of 5s opens`)
	assert.Contains(t, timeline, "retry 3", "entries after it")
	assert.NotContains(t, timeline, "retry 499", "the close is far off")
}
