package sim

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

// A run whose Workers stopped is given up once its task has not come back
// for stopGrace, even with the watchdog off, with the Abandoned failure
// and no sampling of the task's goroutine; a run that makes progress
// goes on to its end.
func TestStoppedWorkersGiveUpAStuckRunSoon(t *testing.T) {
	before := goleak.IgnoreCurrent()
	pool := NewWorkers()
	release := make(chan struct{})
	stuck := New(Config{Seed: 9, Workers: pool})
	res := stuck.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		pool.Stop()
		pool.Stop() // twice is harmless
		<-release   // a raw channel: invisible to the simulation
		return nil
	}, 0) // no watchdog: without the stop, this run would wait forever
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Abandoned, f.Kind)
	assert.True(t, stuck.Abandoned())
	assert.True(t, pool.Stopped())

	steps := 0
	healthy := New(Config{Seed: 9, Workers: pool})
	res = healthy.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for range 100 {
			_ = p.Time.Sleep(ctx, time.Millisecond)
			steps++
		}
		return nil
	}, 0)
	assert.NoError(t, res.Err)
	assert.Equal(t, 100, steps, "a stopped pool's run that makes progress ends as it would")

	close(release)
	pool.Close()
	goleak.VerifyNone(t, before) // waits for the stuck run's goroutines to end
}

// A world the watchdog gave up never runs user code again: the task that
// comes back unwinds at its next call into the simulation, the scheduler
// resumes no other task, the hooks to the runner hear nothing, and every
// goroutine of the world ends.
func TestAbandonedWorldRunsNoMoreUserCode(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	var after, hooks atomic.Int32
	w := New(Config{Seed: 9})
	w.AfterStep(func() { hooks.Add(1) })
	w.ObserveTimeline(func(Entry) { hooks.Add(1) })
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		stuck := p.Task.Go(ctx, "stuck", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Minute)
			<-release // a raw channel: invisible to the simulation
			_ = p.Time.Sleep(ctx, time.Second)
			after.Add(1)
			return nil
		})
		p.Task.Go(ctx, "bystander", func(ctx context.Context) error {
			if p.Time.Sleep(ctx, time.Hour) == nil {
				after.Add(1)
			}
			return nil
		})
		_ = stuck.Join(ctx)
		after.Add(1)
		return nil
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	heard := hooks.Load()

	close(release)
	goleak.VerifyNone(t, before) // waits for the world's goroutines to end
	assert.Zero(t, after.Load(), "no task ran on after the world was given up")
	assert.Equal(t, heard, hooks.Load(), "the runner's hooks heard nothing more")
}

// The report of a task blocked late in a run gives the simulated time and
// trace it got to, not zeros.
func TestWatchdogReportsTheSimulatedTimeAndTraceSoFar(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	w := New(Config{Seed: 9})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		if err := p.Time.Sleep(ctx, 59*time.Minute); err != nil {
			return err
		}
		<-release // a raw channel: invisible to the simulation
		return nil
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Equal(t, 59*time.Minute, f.At)
	assert.Equal(t, 59*time.Minute, res.SimTime)
	assert.NotZero(t, res.Trace)
	assert.Equal(t, uint64(1), res.Events)
	assert.Contains(t, f.Error(), "blocked outside the simulation at 59m0s in task \"driver\"")
	assert.Contains(t, f.Msg, "(chan receive)")
	assert.Contains(t, f.Stack, "guard_test.go")
}

// An event's callback that blocks outside the simulation is reported with
// the trace hash and counts that include its own event, as a task's step
// is: the hash the callback itself would see.
func TestWatchdogReportsTheTraceOfACallbackThatEscapes(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	w := New(Config{Seed: 9})
	var trace, events atomic.Uint64 // read after the watchdog gave up
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		w.After(time.Minute, func() {
			trace.Store(w.trace)
			events.Store(w.events)
			<-release // a raw channel: invisible to the simulation
		})
		return p.Time.Sleep(ctx, time.Hour)
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Equal(t, "(the scheduler)", f.Task)
	assert.Equal(t, time.Minute, res.SimTime)
	assert.Equal(t, [2]uint64{trace.Load(), events.Load()}, [2]uint64{res.Trace, res.Events})
}

// The watchdog samples the goroutine that runs the world, also when a
// run loop of Workers ran earlier worlds and read its goroutine's id once.
func TestWatchdogFindsTheSchedulerOfAReusedRunLoop(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	noop := func(ctx context.Context, p providers.Providers) error { return nil }
	for seed := range uint64(3) {
		require.NoError(t, New(Config{Seed: seed, Workers: pool}).RunGuarded(noop, time.Minute).Err)
	}
	release := make(chan struct{})
	defer close(release)
	w := New(Config{Seed: 9, Workers: pool})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		w.After(time.Minute, func() { blockOutside(release) })
		return p.Time.Sleep(ctx, time.Hour)
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, "(the scheduler)", f.Task)
	assert.Contains(t, f.Stack, "blockOutside", "the stack of the world's goroutine")
}

// A hook run after each step (an Invariant's check) that blocks outside
// the simulation is named as code the scheduler runs, with its own stack,
// not as the task whose step it followed.
func TestWatchdogNamesAnAfterStepHookThatEscapes(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	w := New(Config{Seed: 9})
	steps := 0
	w.AfterStep(func() {
		if steps++; steps == 2 {
			blockOutside(release)
		}
	})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for range 3 {
			if err := p.Time.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
		return nil
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Equal(t, "(the scheduler)", f.Task)
	assert.Contains(t, f.Error(), " in the scheduler: code the scheduler runs between steps (an Invariant's or an Eventually's check, an event's callback) has not returned for ")
	assert.Contains(t, f.Stack, "blockOutside", "the stack of the world's goroutine")
}

// A task blocked in a providers primitive made with the real Task, which
// is a plain channel, is told so: the report names the providers it was
// made with, where a bare "block only through the providers" would not.
func TestWatchdogNamesAPrimitiveOfTheRealProviders(t *testing.T) {
	ch := providers.NewChan[int](providers.Real().Task, 0)
	defer ch.Send(context.Background(), 1)
	res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		_, _, err := ch.Recv(ctx)
		return err
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Contains(t, f.Msg, "it waits in the providers' production code: a Chan, Mutex, WaitGroup, clock or network made with providers.Real() (or its Task) blocks outside the simulation")

	release := make(chan struct{})
	defer close(release)
	res = New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		blockOutside(release)
		return nil
	}, 500*time.Millisecond)
	require.ErrorAs(t, res.Err, &f)
	assert.NotContains(t, f.Msg, "production code", "a raw channel of the task's own")
}

//go:noinline
func blockOutside(release chan struct{}) { <-release }

// A task that spins is reported as busy, with the stack of its loop.
func TestWatchdogTellsABusyTaskFromABlockedOne(t *testing.T) {
	var stop atomic.Bool
	defer stop.Store(true)
	var from atomic.Int64 // the spinner, still running, wrote it: no edge to this goroutine
	n := 0
	w := New(Config{Seed: 9})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		if err := p.Time.Sleep(ctx, time.Minute); err != nil {
			return err
		}
		h := p.Task.Go(ctx, "spinner", func(ctx context.Context) error {
			from.Store(int64(here() + 1))
			for !stop.Load() {
				n++
				n *= 3
			}
			return nil
		})
		return h.Join(ctx)
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Busy, f.Kind)
	assert.Equal(t, "spinner", f.Task)
	assert.Contains(t, f.Error(), "busy at 1m0s in task \"spinner\"")
	assert.Contains(t, f.Msg, "its goroutine is running, not waiting")
	assert.Contains(t, f.Msg, "S.Slow")
	// The spinning function is on top, or under the atomic load when the
	// race detector keeps it from being inlined.
	_, loc, _ := strings.Cut(f.Stack, "TestWatchdogTellsABusyTaskFromABlockedOne.func1.1\n\t")
	_, loc, _ = strings.Cut(loc, "guard_test.go:")
	line, _ := strconv.Atoi(strings.SplitN(loc, "\n", 2)[0])
	first := int(from.Load())
	assert.True(t, first <= line && line <= first+3, "the stack names line %d, in the loop (%d-%d):\n%s", line, first, first+3, f.Stack)
}

// workOutside is work of a goroutine outside the simulation: it runs
// until stop is set, or, if not busy, waits until never is closed.
func workOutside(busy bool, stop *atomic.Bool, never chan struct{}) {
	if !busy {
		<-never
		return
	}
	n := 0
	for !stop.Load() {
		n = n*3 + 1
	}
}

// A task that waits for goroutines of its own is busy when they run (a
// linearizability check spread over goroutines), and blocked when they
// wait too.
func TestWatchdogTellsAWaitOnBusyGoroutinesFromABlockedOne(t *testing.T) {
	for _, busy := range []bool{true, false} {
		t.Run(fmt.Sprintf("busy=%v", busy), func(t *testing.T) {
			var stop atomic.Bool
			never := make(chan struct{})
			defer func() { stop.Store(true); close(never) }()
			w := New(Config{Seed: 9})
			res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
				done := make(chan struct{})
				go func() {
					defer close(done)
					var wg sync.WaitGroup
					wg.Add(1)
					go func() { // a grandchild does the work
						defer wg.Done()
						workOutside(busy, &stop, never)
					}()
					wg.Wait()
				}()
				<-done
				return nil
			}, 500*time.Millisecond) // a bound only
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			if busy {
				assert.Equal(t, Busy, f.Kind)
				assert.Contains(t, f.Msg, "of real time for goroutines it started, outside the simulation, and one of them is running")
				assert.Contains(t, f.Msg, "the goroutine that runs was started as github.com/moonpool-go/moonpool/internal/sim.TestWatchdogTellsAWaitOnBusyGoroutinesFromABlockedOne")
				assert.Contains(t, f.Msg, "S.Slow")
			} else {
				assert.Equal(t, Escaped, f.Kind)
				assert.Contains(t, f.Msg, "blocked outside the simulation (chan receive)")
			}
			assert.Contains(t, f.Stack, "TestWatchdogTellsAWaitOnBusyGoroutinesFromABlockedOne", "the stack is the waiting task's")
		})
	}
}

// Slow holds the watchdog off for a stretch that is meant to take long.
// The stretch outlasts the watchdog's period and a look; the rest of the
// run, which the watchdog does watch, has all of the period, however
// loaded the machine.
func TestSlowHoldsTheWatchdogOff(t *testing.T) {
	const watchdog = time.Second
	w := New(Config{Seed: 9})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		if err := p.Time.Sleep(ctx, time.Minute); err != nil {
			return err
		}
		w.Slow(func() {
			for start := time.Now(); time.Since(start) < watchdog*5/4; {
			}
		})
		return p.Time.Sleep(ctx, time.Minute)
	}, watchdog)
	require.NoError(t, res.Err)
	assert.Equal(t, 2*time.Minute, res.SimTime)
}

// Every word that the watchdog reads with a 64-bit atomic sits at an
// offset, and an address, that is a multiple of 8: on 32-bit platforms
// (GOARCH=386, arm) an unaligned one faults when the watchdog looks.
func TestWatchdogWordsOffsetsAreAligned(t *testing.T) {
	w := New(Config{Seed: 1})
	base := uintptr(unsafe.Pointer(w))
	for name, p := range map[string]unsafe.Pointer{
		"now":       unsafe.Pointer(&w.now),
		"steps":     unsafe.Pointer(&w.steps),
		"events":    unsafe.Pointer(&w.events),
		"pubTrace":  unsafe.Pointer(&w.pubTrace),
		"progress":  unsafe.Pointer(&w.progress),
		"pubEvents": unsafe.Pointer(&w.pubEvents),
		"pubNow":    unsafe.Pointer(&w.pubNow),
		"goid":      unsafe.Pointer(&w.goid),
	} {
		assert.Zero(t, (uintptr(p)-base)%8, "World.%s is at offset %d", name, uintptr(p)-base)
		assert.Zero(t, uintptr(p)%8, "World.%s is at address %#x", name, uintptr(p))
	}
}

// ownLabels returns the "# labels" line of the calling goroutine's record
// in the goroutine profile: the record whose stack holds the caller.
func ownLabels(t *testing.T, marker string) string {
	t.Helper()
	var buf strings.Builder
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(&buf, 1))
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(rec, marker) {
			for _, line := range strings.Split(rec, "\n") {
				if strings.HasPrefix(line, "# labels: ") {
					return line
				}
			}
			return ""
		}
	}
	t.Fatalf("no goroutine runs %s", marker)
	return ""
}

// labelledTask is what a task of TestNameTasksLabelsGoroutinesWithTaskNames
// runs, by name in the profile's stacks.
func labelledTask(t *testing.T, got *string) { *got = ownLabels(t, "sim.labelledTask") }

func TestNameTasksLabelsGoroutinesWithTaskNames(t *testing.T) {
	run := func(name bool) (string, uint64) {
		var got string
		w := New(Config{Seed: 5, NameTasks: name})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			h := p.Task.Go(ctx, "ctr-0/main", func(ctx context.Context) error {
				labelledTask(t, &got)
				return nil
			})
			return h.Join(ctx)
		})
		require.NoError(t, res.Err)
		return got, res.Trace
	}
	named, trace := run(true)
	assert.Contains(t, named, `"moonpool-name":"ctr-0/main"`, "the task's name")
	assert.Contains(t, named, `"moonpool-task":"0x`, "and its worker's, which reports read")
	plain, plainTrace := run(false)
	assert.NotContains(t, plain, "moonpool-name", "off by default: it costs allocations")
	assert.Equal(t, plainTrace, trace, "naming changes no trace")
}
