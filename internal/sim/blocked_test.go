package sim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// answerer answers each question on ask after a real sleep of d, as a
// slow real service would (a DNS lookup, a remote call), until done
// closes.
func answerer(ask <-chan chan struct{}, done <-chan struct{}, d time.Duration) {
	for {
		select {
		case reply := <-ask:
			time.Sleep(d)
			close(reply)
		case <-done:
			return
		}
	}
}

// askSlowly asks one question of an answerer and waits for the answer on
// a raw channel: a block outside the simulation.
func askSlowly(ask chan<- chan struct{}) {
	reply := make(chan struct{})
	ask <- reply
	<-reply
}

// Blocks outside the simulation that are each shorter than the watchdog
// fail the seed once they add up past it, with the watchdog's kind of
// report: how many and how long in all, the task and where it waits.
func TestBlocksOutsideTheSimulationAddUp(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ask, done := make(chan chan struct{}), make(chan struct{})
	go answerer(ask, done, 300*time.Millisecond)
	defer func() {
		close(done)
		goleak.VerifyNone(t, before)
	}()
	res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "asker", func(ctx context.Context) error {
			for range 20 { // 6s of real time in all, in blocks of 300ms
				askSlowly(ask)
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
			}
			return nil
		})
		return h.Join(ctx)
	}, time.Second)
	var f *Failure
	require.ErrorAs(t, res.Err, &f, "20 blocks of 300ms against a watchdog of 1s")
	assert.Equal(t, Escaped, f.Kind)
	assert.Equal(t, "asker", f.Task)
	assert.Contains(t, f.Error(), `blocked outside the simulation at `)
	assert.Contains(t, f.Msg, "of real time in all, in ")
	assert.Contains(t, f.Msg, `task "asker" waited (chan receive) in github.com/moonpool-go/moonpool/internal/sim.askSlowly (blocked_test.go:`)
	assert.Contains(t, f.Msg, "Block only through the providers")
	assert.Contains(t, f.Stack, "blocked_test.go")
	assert.Positive(t, res.SimTime, "the seed got past its first blocks")
}

// A task that computes for a while, step after step, is not blocked: its
// time does not add up, however long in all, while each stretch is
// shorter than the watchdog.
func TestComputationDoesNotAddUpAsBlocks(t *testing.T) {
	res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for range 5 { // 1.5s of real time in all, against a watchdog of 1s
			spin(300 * time.Millisecond)
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
		}
		return nil
	}, time.Second)
	assert.NoError(t, res.Err)
}

// spin keeps its goroutine running for d of real time.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// A block under way is told by what the task waits for when that is a
// goroutine it started: a real http.Client's dial, whose DNS lookup runs
// on goroutines of the transport's.
func TestAWaitNamesTheGoroutineItWaitsFor(t *testing.T) {
	gs := []dumpedG{
		{id: 7, state: "select", stack: stackOf("net/http.(*Transport).getConn", "\t/go/src/net/http/transport.go:1552")},
		{id: 8, creator: 7, state: "select", stack: stackOf(
			"runtime.gopark", "\t/go/src/runtime/proc.go:460",
			"net.(*Resolver).lookupIPAddr", "\t/go/src/net/lookup.go:343")},
		{id: 9, creator: 8, state: "chan receive", stack: stackOf("net.(*Resolver).goLookupIPCNAMEOrder.func4", "\t/go/src/net/dnsclient_unix.go:673")},
		{id: 10, creator: 9, state: "IO wait", stack: stackOf(
			"internal/poll.runtime_pollWait", "\t/go/src/runtime/netpoll.go:351",
			"net.(*netFD).Read", "\t/go/src/net/fd_posix.go:68")},
		{id: 5, creator: 7, state: "chan receive", stack: stackOf("example.old", "\t/m/old.go:3")},
	}
	assert.Equal(t, "net.(*Resolver).lookupIPAddr (select), and under it net.(*netFD).Read (IO wait)", waitingDescendant(gs, 7),
		"the goroutine it started last, and the deepest under it")
	assert.Equal(t, "example.old (chan receive)", waitingDescendant(gs[4:], 7))
	assert.Empty(t, waitingDescendant(gs, 10), "none started")
}

// A run whose blocks added up is given up as the watchdog gives one up:
// once the blocked task comes back and its step ends, no other task runs
// its code again.
func TestBlocksThatAddUpStopTheRunAtItsNextStep(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ask, done := make(chan chan struct{}), make(chan struct{})
	go answerer(ask, done, 300*time.Millisecond)
	release := make(chan struct{})
	var ranAfter atomic.Bool
	res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "other", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			ranAfter.Store(true)
			return nil
		})
		p.Task.Go(ctx, "asker", func(ctx context.Context) error {
			for range 3 { // 900ms of real time, short of the watchdog
				askSlowly(ask)
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
			}
			<-release  // the block that adds up past it
			return nil // the step ends with no call into the simulation
		})
		return p.Time.Sleep(ctx, 2*time.Hour)
	}, time.Second)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Escaped, f.Kind)
	require.Contains(t, f.Msg, "in all, in ")
	close(release)
	close(done)
	goleak.VerifyNone(t, before) // the run's goroutines end, as it does
	assert.False(t, ranAfter.Load(), "a task ran its code after the run was given up")
}

// A teardown that takes longer than the watchdog in all, a kill at a
// time, is the engine's progress, not a task away from the scheduler: a
// large cluster's teardown kills tens of thousands of tasks with no step
// between, and the watchdog failed such a passing run as a task blocked
// outside the simulation. Each killed task's defers here run (busy, not
// blocked) for a tenth of the watchdog.
func TestALongTeardownIsProgress(t *testing.T) {
	if testenv.Race {
		// Each defer spins for a tenth of the watchdog in wall time; the
		// race detector on a loaded machine has stretched one spin past
		// the whole watchdog. The run without it checks the same.
		t.Skip("a wall-clock spin against the watchdog; run without -race")
	}
	const watchdog = 500 * time.Millisecond
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for range 20 {
			p.Task.Go(ctx, "slow to unwind", func(ctx context.Context) error {
				defer func() {
					for start := time.Now(); time.Since(start) < watchdog/10; {
					}
				}()
				return p.Time.Sleep(ctx, time.Hour)
			})
		}
		return p.Time.Sleep(ctx, time.Second)
	}, watchdog)
	require.NoError(t, res.Err)
}

// Past realWaitGoroutines goroutines, the watchdog takes one stack trace
// of them all where it takes watchSamples with fewer: each stops the world.
func TestTheWatchdogSamplesOnceAmongManyGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	assert.Equal(t, watchSamples, samplesToTake(), "a test binary's few goroutines")
	release := make(chan struct{})
	for range realWaitGoroutines {
		go func() { <-release }()
	}
	assert.Equal(t, 1, samplesToTake(), "past realWaitGoroutines goroutines")
	close(release)
}

// slowErrCtx is a context of another package's (one with AfterFunc, so
// that the world's contexts under it look at it when asked) whose Err
// computes for spin once armed: code the engine's poll runs.
type slowErrCtx struct {
	context.Context
	armed   *atomic.Bool
	spin    time.Duration
	release *atomic.Bool // ends the spin early
}

func (c slowErrCtx) Err() error {
	if c.armed.Swap(false) {
		for start := time.Now(); time.Since(start) < c.spin && !c.release.Load(); {
		}
	}
	return c.Context.Err()
}

func (c slowErrCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.Context, f) }

// While the engine works between steps (here a poll that asks a
// context's Err, which computes past the watchdog), the task that ran
// last is parked as a coroutine: the watchdog names the scheduler, busy,
// not that task as blocked outside the simulation.
func TestTheEnginesWorkIsNotAParkedTasksBlock(t *testing.T) {
	const watchdog = 300 * time.Millisecond
	// The run given up goes on, on its own goroutine, until the spin ends:
	// it is released once the watchdog has given up, however long a loaded
	// machine makes that take (a minute bounds it should the watchdog not).
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	armed, release := new(atomic.Bool), new(atomic.Bool)
	defer release.Store(true)
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		pkg, cancel := context.WithCancel(ctx)
		defer cancel()
		sim, simCancel := w.WithCancel(slowErrCtx{Context: pkg, armed: armed, spin: time.Minute, release: release})
		defer simCancel()
		p.Task.Go(ctx, "waiter", func(context.Context) error { return p.Time.Sleep(sim, time.Hour) })
		if err := p.Time.Sleep(ctx, time.Millisecond); err != nil { // the waiter parks
			return err
		}
		armed.Store(true)
		return p.Time.Sleep(ctx, time.Second)
	}, watchdog)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, SchedulerTask, f.Task, "the failure names the scheduler: %v", f)
	assert.Equal(t, Busy, f.Kind, "%v", f)
}

// A task's worker not yet started is a coroutine parked at its start,
// which runs nothing anyone could wait for: a block names no goroutine the
// task started when it started only a task, and still names one it
// started with a go statement.
func TestAWaitNamesNoUnstartedCoroutine(t *testing.T) {
	unstarted := dumpedG{id: 8, creator: 7, state: "coroutine", stack: stackOf(
		"runtime.corostart", "\t/go/src/runtime/coro.go:69",
		"runtime.goexit", "\t/go/src/runtime/asm_amd64.s:1771")}
	gs := []dumpedG{{id: 7, state: "chan receive", stack: stackOf("example.wait", "\t/m/wait.go:3")}, unstarted}
	assert.Empty(t, waitingDescendant(gs, 7), "a task's worker at its start")
	gs = append(gs, dumpedG{id: 9, creator: 7, state: "chan receive", stack: stackOf("example.serve", "\t/m/serve.go:9")})
	assert.Equal(t, "example.serve (chan receive)", waitingDescendant(gs, 7))

	for _, tc := range []struct {
		name  string
		start func(ctx context.Context, p providers.Providers, release <-chan struct{})
		want  bool
	}{
		{"a task", func(ctx context.Context, p providers.Providers, _ <-chan struct{}) {
			p.Task.Go(ctx, "idle", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		}, false},
		{"a goroutine", func(_ context.Context, _ providers.Providers, release <-chan struct{}) {
			go func() { <-release }()
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			release := make(chan struct{})
			res := New(Config{Seed: 9}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
				tc.start(ctx, p, release)
				<-release // a raw channel, before the task started has run
				return nil
			}, 300*time.Millisecond)
			close(release)
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, Escaped, f.Kind)
			if tc.want {
				assert.Contains(t, f.Msg, "; it may wait for a goroutine it started, in ")
			} else {
				assert.NotContains(t, f.Msg, "it may wait for a goroutine", "the engine's own coroutine is no goroutine the task started")
			}
			goleak.VerifyNone(t, before)
		})
	}
}
