package simtest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestAttritionEveryNanosecondFailsAsNoProgress(t *testing.T) {
	r := runIn("TestStall", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			var boots []string
			c := s.Boot(simtest.Processes{Name: "node", Count: 3, New: func() simtest.Process { return diary{&boots} }})
			c.Run(simtest.Phases{Chaos: time.Minute}, stuck{})
		}, simtest.Seeds(1), simtest.Chaos(func() chaos.Config {
			cfg := chaos.Off()
			cfg.Attrition = chaos.DefaultAttrition()
			cfg.Attrition.Interval = chaos.Range{Min: time.Nanosecond, Max: time.Nanosecond}
			return cfg
		}()), simtest.MaxStepsPerInstant(1_000_000)) // a tenth of the default, for a quick test
	})
	assert.True(t, r.failed)
	// Whether the interval is refused up front or the run is caught by
	// the stall guard, the report names attrition.
	assert.Regexp(t, `(?i)attrition`, r.output())
}

func TestNanosecondSleepLoopFailsAsNoProgress(t *testing.T) {
	r := runIn("TestStall", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("ticker", func(ctx context.Context) error {
				p := s.Providers()
				for {
					if err := p.Time.Sleep(ctx, time.Nanosecond); err != nil {
						return err
					}
				}
			})
			s.Sleep(time.Minute)
		}, simtest.Seeds(1), simtest.MaxStepsPerInstant(1_000_000))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, `no progress at`)
	assert.Contains(t, out, `in task "ticker"`)
	assert.Contains(t, out, `were task "ticker"`)
	assert.Contains(t, out, "MaxStepsPerInstant")
}

// stubborn is a process whose loop recovers every panic, the kill too.
type stubborn struct{ spins *int }

func (s stubborn) Run(ctx context.Context, p providers.Providers) error {
	for {
		*s.spins++
		func() {
			defer func() { _ = recover() }()
			_ = p.Time.Sleep(ctx, time.Second)
		}()
	}
}

func TestProcessThatRecoversItsKillFailsAtOnce(t *testing.T) {
	spins, atKill := 0, 0
	r := runIn("TestSwallow", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return stubborn{&spins} }})
			s.Sleep(59 * time.Minute)
			atKill = spins
			c.Stop("node-0", simtest.Crash)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.Watchdog(time.Minute))
	})
	assert.True(t, r.failed)
	assert.False(t, r.fatal, "the test goes on to its report")
	out := r.output()
	assert.Contains(t, out, `kill recovered at 59m0s in task "node-0/main"`)
	assert.Contains(t, out, "guard_external_test.go", "the line that recovered")
	assert.Contains(t, out, "replay:")
	assert.Equal(t, atKill+1, spins, "the process ran once more after its kill, up to its next sleep")
}

// guarded is a process whose Run recovers every panic at its top, the
// kill too, and so returns as if it had not been killed.
type guarded struct{}

func (guarded) Run(ctx context.Context, p providers.Providers) error {
	defer func() { _ = recover() }()
	return p.Time.Sleep(ctx, time.Hour)
}

// A process whose Run recovers its kill and returns is told so: the report
// says that it returned, and shows no stack of the engine's frames, which
// are all that is left of the task once its Run has returned.
func TestProcessThatRecoversItsKillAndReturnsIsToldItReturned(t *testing.T) {
	r := runIn("TestSwallow", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return guarded{} }})
			s.Sleep(time.Minute)
			c.Stop("node-0", simtest.Crash)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.Watchdog(time.Minute))
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, `kill recovered at 1m0s in task "node-0/main"`)
	assert.Contains(t, out, "guard_external_test.go", "the line that recovered")
	assert.Contains(t, out, "and the task returned.")
	assert.NotContains(t, out, "went on to call the simulation again")
	assert.NotContains(t, out, "internal/sim", "no frames of the engine")
}

// A task that comes back after the watchdog gave its seed up runs no
// further than its next call into the simulation, and nothing it does
// reaches the test.
func TestEscapedTaskThatComesBackRunsNoMore(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	var after atomic.Int32
	r := runIn("TestEscape", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			h := s.Go("waiter", func(ctx context.Context) error {
				<-release // a raw channel: the simulation cannot see it
				s.Sleep(time.Second)
				after.Add(1)
				s.Errorf("ran after the watchdog gave the seed up")
				return nil
			})
			_ = h.Join(s.Context())
			after.Add(1)
		}, simtest.Seeds(1), simtest.Watchdog(500*time.Millisecond)) // a bound only
	})
	assert.True(t, r.failed)
	out := r.output()
	close(release)
	goleak.VerifyNone(t, before) // waits for the seed's goroutines to end
	assert.Zero(t, after.Load())
	assert.Equal(t, out, r.output(), "nothing more reached the test")
}

// A task that comes back after the watchdog gave its seed up is the
// seed's, not a goroutine that outlived it: what it says through the S
// before any other call into the simulation goes nowhere, as its
// assertions do, and so do the deferred reports of the seed's other tasks
// as they unwind. Only the Run's report of the seed reaches the test.
func TestEscapedTaskThatComesBackSaysNothing(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	var after atomic.Int32
	r := runIn("TestEscape", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Go("other", func(ctx context.Context) error {
				defer s.Errorf("the other task's defer reported after the seed was given up")
				s.Sleep(time.Hour)
				return nil
			})
			s.Sleep(time.Second)
			<-release // a raw channel: the simulation cannot see it
			s.Errorf("the driver came back and reported")
			after.Add(1)
			s.Logf("the driver came back and logged")
			after.Add(1)
		}, simtest.Seeds(1), simtest.Watchdog(500*time.Millisecond)) // a bound only
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "blocked outside the simulation")
	close(release)
	goleak.VerifyNone(t, before) // waits for the seed's goroutines to end
	assert.Zero(t, after.Load(), "the driver unwound at its first call on the S")
	assert.Equal(t, out, r.output(), "nothing more reached the test")
}

// A seed the watchdog gave up runs its cleanups, outside the simulation,
// as a test's run when it ends, before the Run goes on: what they undo is
// not left to the seeds after it. Each runs once, though the driver comes
// back later; one that calls into the simulation, or panics, fails the
// test, and the others still run.
func TestGivenUpSeedRunsItsCleanups(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	var mu sync.Mutex
	var ran []string
	record := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, what)
	}
	ranSoFar := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(ran)
	}
	r := runIn("TestGivenUp", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Cleanup(func() { record("first") })
			s.Cleanup(func() {
				s.Sleep(time.Second)
				record("slept")
			})
			s.Cleanup(func() { panic("boom") })
			s.Cleanup(func() { s.Logf("undone"); record("last") })
			<-release // a raw channel: the simulation cannot see it
		}, simtest.Seeds(1), simtest.Watchdog(500*time.Millisecond)) // a bound only
	})
	assert.True(t, r.failed)
	assert.Equal(t, []string{"last", "first"}, ranSoFar(), "run before Run returned")
	out := r.output()
	assert.Contains(t, out, "blocked outside the simulation")
	assert.Contains(t, out, "ended: guard_external_test.go:")
	assert.Contains(t, out, "undone")
	assert.Contains(t, out, "a cleanup of seed ")
	assert.Contains(t, out, "ran outside the simulation and panicked: boom")
	assert.Contains(t, out, "ran outside the simulation and was ended as it called into the simulation")
	close(release)
	goleak.VerifyNone(t, before) // waits for the seed's goroutines to end
	assert.Equal(t, []string{"last", "first"}, ranSoFar(), "each ran once")
}

// check stands for a CPU-heavy check, such as a linearizability search:
// it computes for d of real time without calling the simulation.
func check(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

func TestWatchdogReportsALongCheckAsBusy(t *testing.T) {
	r := runIn("TestBusy", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Sleep(59 * time.Minute)
			// Compute until the watchdog has reported, however late a
			// loaded machine lets it look.
			for start := time.Now(); !r.Failed() && time.Since(start) < time.Minute; {
			}
		}, simtest.Seeds(1), simtest.Watchdog(500*time.Millisecond)) // a bound only
	})
	assert.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, `busy at 59m0s in task "driver"`)
	assert.Contains(t, out, "its goroutine is running, not waiting")
	assert.Contains(t, out, "guard_external_test.go", "the report shows where the task runs")
	assert.Regexp(t, `trace=[0-9a-f]*[1-9a-f][0-9a-f]* FAIL sim=59m0s`, out, "the seed's line gives the trace and time so far")
}

// The check outlasts the watchdog's period and a look; the rest of the
// seed, which the watchdog does watch, has all of the period, however
// loaded the machine.
func TestSlowCheckPasses(t *testing.T) {
	const watchdog = time.Second
	r := runIn("TestSlow", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Sleep(59 * time.Minute)
			s.Slow(func() { check(watchdog * 5 / 4) })
			s.Sleep(time.Minute)
		}, simtest.Seeds(1), simtest.Watchdog(watchdog))
	})
	assert.False(t, r.failed, r.output())
}

// An Invariant's check that blocks outside the simulation runs on the
// scheduler's goroutine, between steps: the report names that, with the
// check's own stack, not the task whose step came before it.
func TestInvariantThatEscapesIsNamed(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	r := runIn("TestEscape", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			steps := 0
			s.Invariant("never blocks", func() error {
				if steps++; steps == 2 {
					<-release // a raw channel: the simulation cannot see it
				}
				return nil
			})
			s.Sleep(time.Second)
			s.Sleep(time.Second)
		}, simtest.Seeds(1), simtest.Watchdog(500*time.Millisecond)) // a bound only
	})
	assert.True(t, r.failed)
	out := r.output()
	close(release)
	goleak.VerifyNone(t, before)
	assert.Contains(t, out, "blocked outside the simulation at 1s in the scheduler: code the scheduler runs between steps (an Invariant's or an Eventually's check, an event's callback) has not returned for ")
	assert.Regexp(t, `stack of the scheduler's goroutine:\n\s+\S+TestInvariantThatEscapesIsNamed\S+\n\s+\S+guard_external_test.go:\d+`, out)
	assert.NotContains(t, out, `task "driver"`)
}

// The replay line of a seed that the watchdog failed carries the Run's
// watchdog when it is not the default, which would let the seed pass:
// -simwatchdog in go test's line, the option in Simulate's.
func TestAWatchdogFailureReplaysWithItsWatchdog(t *testing.T) {
	// busy computes, as a long check does, until the Run has returned
	// (the watchdog gave the seed up) or a minute has passed.
	busy := func(over *atomic.Bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			s.Sleep(time.Minute)
			for start := time.Now(); !over.Load() && time.Since(start) < time.Minute; {
			}
		}
	}
	var runOver, simulateOver atomic.Bool
	r := runIn("TestBusy", func(r *recorder) {
		simtest.Run(r, busy(&runOver), simtest.Seeds(1), simtest.Watchdog(20*time.Millisecond))
	})
	runOver.Store(true)
	require.True(t, r.failed)
	assert.Regexp(t, `replay: go test -run '\^TestBusy\$' \S+ -simseed=\d+ -simwatchdog=20ms`, r.output())

	res := simtest.Simulate(busy(&simulateOver), simtest.Seeds(1), simtest.Watchdog(20*time.Millisecond))
	simulateOver.Store(true)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Equal(t, fmt.Sprintf("simtest.Replay(%d), simtest.Watchdog(20*time.Millisecond)", res.FirstFailing), res.Replay)

	// A watchdog of its own, but one no step of a loaded machine's reaches:
	// under 20 ms, a step delayed that long would be the watchdog's failure.
	res = simtest.Simulate(func(s *simtest.S) { s.Errorf("an ordinary failure") }, simtest.Seeds(1), simtest.Watchdog(time.Hour))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Equal(t, fmt.Sprintf("simtest.Replay(%d)", res.FirstFailing), res.Replay, "a failure of its own needs no watchdog to replay")
}

// A library call that refuses its arguments with a panic is reported at
// the line of the call, the one to fix, not at the library's own line.
func TestALibrarysRefusalIsReportedAtItsCall(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		chaos.BuggifyWithProb(s.Context(), -3) // the line
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Regexp(t, `failed: guard_external_test\.go:\d+: panic at 0s in task "driver": chaos\.BuggifyWithProb: p is -3`, res.Report)
}

// A seed the watchdog gives up ends with its liveness windows unopened:
// the report tells of the task the watchdog found, as the seed's first
// failure, and not of the windows, whose "never opened" and its advice
// to run the workload with Cluster.Run would mislead.
func TestAGivenUpSeedDoesNotFailItsUnopenedWindows(t *testing.T) {
	release := make(chan struct{})
	var first string
	r := runIn("TestGivenUpWindows", func(r *recorder) {
		res := simtest.Simulate(func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "spin", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					if err := p.Time.Sleep(ctx, 5*time.Second); err != nil {
						return err
					}
					<-release // a raw channel: the simulation cannot see it
					return nil
				})
			}})
			s.Eventually("up", time.Second, func() error { return nil })
			c.Run(simtest.Phases{Chaos: 10 * time.Second})
		}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false), simtest.Watchdog(500*time.Millisecond))
		if len(res.PerSeed) > 0 {
			first = res.PerSeed[0].FirstFailure
		}
		r.Log(res.Report)
	})
	close(release)
	out := r.output()
	assert.Contains(t, out, `blocked outside the simulation at 5s`)
	assert.NotContains(t, out, "never opened")
	assert.Contains(t, first, "blocked outside the simulation")
}
