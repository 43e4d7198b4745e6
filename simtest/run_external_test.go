package simtest_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunPassesEverySeed(t *testing.T) {
	var seeds []uint64
	r := runIn("TestPass", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			seeds = append(seeds, s.Seed())
			h := s.Go("worker", func(ctx context.Context) error {
				return s.Providers().Time.Sleep(ctx, time.Second)
			})
			require.NoError(s, h.Join(s.Context()))
			assert.Equal(s, time.Second, s.Elapsed())
		}, simtest.Seeds(7), simtest.Verbose())
	})
	assert.False(t, r.failed, r.output())
	assert.Len(t, seeds, 7)
	out := r.output()
	assert.Contains(t, out, "simtest: 7 seeds, 7 passed, 0 failed")
	assert.Regexp(t, regexp.MustCompile(`seed=\d+ trace=[0-9a-f]{16} ok`), out)
	assert.Equal(t, 7, strings.Count(out, "seed="), "one line per seed")
	for _, seed := range seeds {
		assert.Contains(t, out, "simtest: seed="+strconv.FormatUint(seed, 10)+" trace=", "a line for each seed, as it ends")
	}
}

// TestReportSummarisesManySeeds runs many seeds without -v: the report
// counts them and shows the first and last few, not one line each.
func TestReportSummarisesManySeeds(t *testing.T) {
	if testing.Verbose() {
		t.Skip("under -v every seed is listed")
	}
	var seeds []uint64
	r := runIn("TestMany", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { seeds = append(seeds, s.Seed()) }, simtest.Seeds(500))
	})
	out := r.output()
	require.False(t, r.failed, out)
	require.Len(t, seeds, 500)
	assert.Contains(t, out, "simtest: 500 seeds, 500 passed, 0 failed")
	assert.Equal(t, 6, strings.Count(out, "seed="), out)
	for _, seed := range append(seeds[:3:3], seeds[497:]...) {
		assert.Contains(t, out, "seed="+strconv.FormatUint(seed, 10)+" trace=")
	}
	assert.Contains(t, out, "... 494 seeds more; go test -v or -simv lists every seed")
	assert.Less(t, len(out), 2000, "the report does not grow with the seeds")
}

func TestSeedsAreStablePerTestName(t *testing.T) {
	collect := func(name string) []uint64 {
		var seeds []uint64
		runIn(name, func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) { seeds = append(seeds, s.Seed()) }, simtest.Seeds(5))
		})
		return seeds
	}
	assert.Equal(t, collect("TestA"), collect("TestA"))
	assert.NotEqual(t, collect("TestA"), collect("TestB"))
}

func TestFailureReportsSeedReplayAndStory(t *testing.T) {
	var failing uint64
	r := runIn("TestPlanted", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("racer", func(ctx context.Context) error {
				s.Logf("racer is here")
				if s.Providers().Random.IntN(4) == 0 {
					failing = s.Seed()
					s.Errorf("the planted bug fired")
				}
				return nil
			})
			s.Sleep(time.Second)
		}, simtest.Seeds(100))
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "simtest: seed ")
	assert.Contains(t, out, "replay: go test -run '^TestPlanted$' ./simtest -simseed=")
	assert.Contains(t, out, "-simseed="+strconv.FormatUint(failing, 10))
	assert.Contains(t, out, "the planted bug fired")
	assert.Contains(t, out, `racer: run_external_test.go:`, "the error names the task and the line")
	assert.Contains(t, out, "racer is here")
	assert.Contains(t, out, "timeline around the first failure")
	assert.Contains(t, out, "1 failed")
	assert.False(t, r.fatal, "Run fails the test but lets it go on")

	// the printed seed replays the same failure, alone
	again := runIn("TestPlanted", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if s.Providers().Random.IntN(4) == 0 {
				s.Errorf("the planted bug fired")
			}
		}, simtest.Replay(failing))
	})
	assert.True(t, again.failed)
	assert.Contains(t, again.output(), "simtest: 1 seed, 0 passed, 1 failed")
}

func TestFatalInTaskEndsSeedAtOnce(t *testing.T) {
	var after bool
	res := simtest.Simulate(func(s *simtest.S) {
		h := s.Go("checker", func(ctx context.Context) error {
			require.Equal(s, 1, 2, "numbers differ")
			after = true
			return nil
		})
		_ = h.Join(s.Context())
		after = true
	}, simtest.Seeds(3))
	assert.False(t, res.OK())
	assert.False(t, after, "nothing runs after require fails")
	out := res.Report
	assert.Contains(t, out, "numbers differ")
	assert.Contains(t, out, "checker: run_external_test.go:")
	assert.Contains(t, out, "simtest: 1 of 3 seeds run (a Run stops at its first failing seed; -simall or simtest.KeepGoing runs them all), 0 passed, 1 failed", "Run stops at the first failing seed")
}

func TestPanicInTaskFailsSeedWithStack(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Go("crasher", func(ctx context.Context) error {
			var xs []int
			_ = xs[3]
			return nil
		})
		s.Sleep(time.Second)
	}, simtest.Seeds(2))
	assert.False(t, res.OK())
	out := res.Report
	assert.Contains(t, out, `panic at 0s in task "crasher"`)
	assert.Regexp(t, `failed: run_external_test.go:\d+: panic at 0s in task "crasher"`, out, "the headline names the line that panicked")
	assert.Contains(t, out, "index out of range")
	assert.Contains(t, out, `stack of task "crasher"`)
	assert.Contains(t, out, "run_external_test.go")
}

func TestRealFailNowInTaskTearsDown(t *testing.T) {
	var unwound bool
	r := runIn("TestGoexit", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("bystander", func(ctx context.Context) error {
				defer func() { unwound = true }()
				return s.Providers().Time.Sleep(ctx, time.Hour)
			})
			s.Go("quitter", func(ctx context.Context) error {
				r.FailNow() // the real test's FailNow, from inside a task
				return nil
			})
			s.Sleep(time.Minute)
		})
	})
	assert.True(t, r.failed)
	assert.True(t, r.fatal)
	assert.True(t, unwound)
	assert.Contains(t, r.output(), "runtime.Goexit was called in a task")
}

func TestSkipInBodySkipsTest(t *testing.T) {
	r := runIn("TestSkip", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Skip("not today") })
	})
	assert.True(t, r.skipped)
	assert.False(t, r.failed, r.output())
}

// A seed that skips skips the whole test, as t.Skip does: the summary
// counts it skipped, not passed, names the Skip's line, and says how to
// leave one seed out instead.
func TestASkippingSeedIsCountedSkipped(t *testing.T) {
	runs := 0
	r := runIn("TestSkipSome", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			runs++
			if runs == 2 {
				s.Skip("the second seed")
			}
		}, simtest.Seeds(6))
	})
	assert.True(t, r.skipped)
	assert.False(t, r.failed, r.output())
	assert.Equal(t, 2, runs, "no seed runs after the skip")
	assert.Regexp(t, `simtest: 2 seeds, 1 passed, 0 failed, 1 skipped \(S\.Skip at run_external_test\.go:\d+ skips the whole test, as t\.Skip does, and no seed runs after it; to leave one seed out, return from the body\); `, r.output())
	assert.Regexp(t, `seed=\d+ trace=[0-9a-f]+ SKIP `, r.output())
}

func TestWatchdogNamesTaskBlockedOutsideSimulation(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := runIn("TestEscape", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			h := s.Go("waiter", func(ctx context.Context) error {
				<-release // a raw channel: the simulation cannot see it
				return nil
			})
			_ = h.Join(s.Context())
		}, simtest.Seeds(1), simtest.Watchdog(300*time.Millisecond))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, `blocked outside the simulation at 0s in task "waiter"`)
	assert.Contains(t, out, "Block only through the providers")
	assert.Contains(t, out, "run_external_test.go", "the report shows where the task blocked")
}

func TestDeadlockFailsWithEveryWaitingTask(t *testing.T) {
	r := runIn("TestDeadlock", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			var a, b providers.Handle
			a = s.Go("alice", func(ctx context.Context) error {
				s.Sleep(time.Millisecond)
				return b.Join(ctx)
			})
			b = s.Go("bob", func(ctx context.Context) error {
				s.Sleep(time.Millisecond)
				return a.Join(ctx)
			})
			_ = a.Join(s.Context())
		}, simtest.Seeds(1))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "deadlock at 1ms")
	assert.Contains(t, out, `task "alice" waits on task join`)
	assert.Contains(t, out, `task "bob" waits on task join`)
	assert.Contains(t, out, `task "driver" waits on task join`)
	assert.Contains(t, out, "run_external_test.go", "the report shows where each task waits")
}

func TestTimeBudgetNamesTheTaskThatNeverFinishes(t *testing.T) {
	r := runIn("TestBudget", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			h := s.Go("slowpoke", func(ctx context.Context) error {
				for {
					if err := s.Providers().Time.Sleep(ctx, time.Minute); err != nil {
						return err
					}
				}
			})
			_ = h.Join(s.Context())
		}, simtest.Seeds(1), simtest.TimeBudget(time.Hour))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "time budget exceeded at 1h0m0s")
	assert.Contains(t, out, `task "slowpoke" waits on sleep`)
	assert.Contains(t, out, `task "driver" waits on task join`)
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		body func(*simtest.S)
		opts []simtest.Option
		want string
	}{
		{"nil body", nil, nil, "the body is nil"},
		{"zero seeds", func(*simtest.S) {}, []simtest.Option{simtest.Seeds(0)}, "simtest.Seeds(0): the seed count must be at least 1"},
		{"negative seeds", func(*simtest.S) {}, []simtest.Option{simtest.Seeds(-3)}, "at least 1"},
		{"fresh and base", func(*simtest.S) {}, []simtest.Option{simtest.FreshSeeds(), simtest.BaseSeed(1)}, "FreshSeeds and BaseSeed both choose the base seed"},
		{"replay and seeds", func(*simtest.S) {}, []simtest.Option{simtest.Replay(1, 2), simtest.Seeds(50)}, "simtest: Replay replays the seeds it names and Seeds(50) asks for a count of seeds; keep one of the two options"},
		{"seeds and replay", func(*simtest.S) {}, []simtest.Option{simtest.Seeds(50), simtest.Replay(1, 2)}, "simtest: Replay replays the seeds it names and Seeds(50) asks for a count of seeds; keep one of the two options"},
		{"recipe and seeds", func(*simtest.S) {}, []simtest.Option{simtest.ReplayRecipe("1/0:3"), simtest.Seeds(5)}, "simtest: ReplayRecipe replays one timeline and Seeds(5) asks for a count of seeds; keep one of the two options"},
		{"replay and fresh", func(*simtest.S) {}, []simtest.Option{simtest.FreshSeeds(), simtest.Replay(1)}, "simtest: Replay replays the seeds it names and FreshSeeds draws new ones; keep one of the two options"},
		{"bad budget", func(*simtest.S) {}, []simtest.Option{simtest.TimeBudget(0)}, "the budget must be positive"},
		{"bad watchdog", func(*simtest.S) {}, []simtest.Option{simtest.Watchdog(-time.Second)}, "zero (off) or positive"},
		{"nil option", func(*simtest.S) {}, []simtest.Option{nil}, "a nil Option"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestBad", func(r *recorder) { simtest.Run(r, c.body, c.opts...) })
			assert.True(t, r.fatal)
			assert.Contains(t, r.output(), c.want)
		})
	}
}

func TestCheckDeterminismPassesForDeterministicBody(t *testing.T) {
	r := runIn("TestCheck", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			for i := range 4 {
				s.Go("t", func(ctx context.Context) error {
					return s.Providers().Time.Sleep(ctx, time.Duration(s.Providers().Random.IntN(100)+i)*time.Millisecond)
				})
			}
			s.Sleep(time.Second)
		}, simtest.Seeds(20), simtest.CheckDeterminism())
	})
	assert.False(t, r.failed, r.output())
}

func TestCheckDeterminismNamesDivergentStep(t *testing.T) {
	calls := 0
	r := runIn("TestNondeterministic", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			calls++ // state outside the simulation: the second run differs
			for range calls % 2 {
				s.Providers().Random.Uint64()
			}
			s.Go("t", func(ctx context.Context) error { return nil })
			s.Sleep(time.Second)
		}, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "the run is not deterministic")
	assert.Contains(t, out, "differs")
	assert.Contains(t, out, "first run:")
}

func TestSimulationValuesOutlivingTheRunSayWhatIsWrong(t *testing.T) {
	var kept *simtest.S
	r := runIn("TestOutlive", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
	})
	require.False(t, r.failed, r.output())
	fix := fmt.Sprintf(" after the simulation ended (seed %d of the simtest.Run in TestOutlive); "+
		"a value it made (its S, providers, connections, files) outlived it: use such values only while the seed runs; "+
		"a cleanup that uses one registers with s.Cleanup, which runs at the seed's end (or the helper that registers it takes the body's s), "+
		"not with the test's t.Cleanup, which runs after every seed has ended", kept.Seed())
	assert.PanicsWithValue(t, "sim: Sleep"+fix, func() { kept.Sleep(time.Second) })
	assert.PanicsWithValue(t, "sim: Task.Go"+fix, func() { kept.Go("late", func(context.Context) error { return nil }) })
}
