package sim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
)

// goAndWait runs f on a goroutine started with a go statement and waits
// until it ends.
func goAndWait(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func requireStray(t *testing.T, res Result, what string) *Failure {
	t.Helper()
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Stray, f.Kind, f.Error())
	assert.Contains(t, f.Msg, "a goroutine that the simulation does not run called into it ("+what+")")
	assert.Contains(t, f.Msg, strayFix)
	assert.Contains(t, f.Stack, "stray_test.go")
	assert.NotContains(t, f.Stack, "/internal/sim/stray.go", "the engine's frames are left out")
	return f
}

func TestStrayCallsFailTheRun(t *testing.T) {
	calls := map[string]func(ctx context.Context, p providers.Providers){
		"Sleep":         func(ctx context.Context, p providers.Providers) { _ = p.Time.Sleep(ctx, time.Second) },
		"Time.Now":      func(ctx context.Context, p providers.Providers) { p.Time.Now() },
		"Random.Uint64": func(ctx context.Context, p providers.Providers) { p.Random.Uint64() },
		"Task.Go": func(ctx context.Context, p providers.Providers) {
			p.Task.Go(ctx, "child", func(context.Context) error { return nil })
		},
		"Time.AfterFunc": func(ctx context.Context, p providers.Providers) { p.Time.AfterFunc(time.Second, func() {}) },
		"WithCancel": func(ctx context.Context, p providers.Providers) {
			_, cancel := simctx.From(ctx).(*World).WithCancel(ctx)
			cancel()
		},
		"mutex lock":     func(ctx context.Context, p providers.Providers) { _ = providers.NewMutex(p.Task).Lock(ctx) },
		"wait group add": func(ctx context.Context, p providers.Providers) { providers.NewWaitGroup(p.Task).Add(1) },
		"chan receive": func(ctx context.Context, p providers.Providers) {
			_, _, _ = providers.NewChan[int](p.Task, 0).Recv(ctx)
		},
		"select": func(ctx context.Context, p providers.Providers) {
			_ = providers.Select(ctx, providers.OnRecv(providers.NewChan[int](p.Task, 0), func(int, bool) {}))
		},
	}
	for what, call := range calls {
		t.Run(what, func(t *testing.T) {
			returned, after := false, false
			res := run(1, func(ctx context.Context, p providers.Providers) error {
				goAndWait(func() {
					call(ctx, p)
					returned = true
				})
				_ = p.Time.Sleep(ctx, time.Second)
				after = true
				return nil
			})
			f := requireStray(t, res, what)
			assert.Equal(t, time.Duration(0), f.At)
			assert.False(t, returned, "the stray call does not return")
			assert.False(t, after, "the run ends at the stray call")
			assert.Equal(t, uint64(1), res.Tasks, "the stray call started nothing")
		})
	}
}

// TestStrayCancelsFailTheRun: the cancel functions of the contexts the
// world makes, called by a goroutine it does not run, fail the run too.
// A stray report says what started the goroutine: a go statement, in the
// function the report names, or context.AfterFunc or time.AfterFunc, whose
// callers have no go statement, each with its fix.
func TestStrayReportSaysWhatStartedTheGoroutine(t *testing.T) {
	cases := []struct {
		name    string
		start   func(ctx context.Context, p providers.Providers, call func())
		started string
		fix     string
	}{
		{"go statement", func(ctx context.Context, p providers.Providers, call func()) { goAndWait(call) },
			"it was started by a go statement in github.com/moonpool-go/moonpool/internal/sim.goAndWait", strayFix},
		{"context.AfterFunc", func(ctx context.Context, p providers.Providers, call func()) {
			done := make(chan struct{})
			cctx, cancel := context.WithCancel(context.Background())
			context.AfterFunc(cctx, func() { defer close(done); call() })
			cancel()
			<-done
		}, "it was started by context.AfterFunc, which runs its function on a goroutine of its own once the context is done",
			"providers.Wait(ctx, p.Task)"},
		{"time.AfterFunc", func(ctx context.Context, p providers.Providers, call func()) {
			done := make(chan struct{})
			time.AfterFunc(0, func() { defer close(done); call() })
			<-done
		}, "it was started by time.AfterFunc, which runs its function on a goroutine of its own",
			"use p.Time.AfterFunc(d, f)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(1, func(ctx context.Context, p providers.Providers) error {
				c.start(ctx, p, func() { p.Time.Now() })
				return nil
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			require.Equal(t, Stray, f.Kind, f.Error())
			assert.Contains(t, f.Msg, "called into it (Time.Now): "+c.started+", and only tasks may call into the simulation; ")
			assert.Contains(t, f.Msg, c.fix)
			if c.name != "go statement" {
				assert.NotContains(t, f.Msg, "go statement")
			}
		})
	}
}

func TestStrayCancelsFailTheRun(t *testing.T) {
	cancels := map[string]func(ctx context.Context, p providers.Providers) context.CancelFunc{
		"a context's cancel": func(ctx context.Context, p providers.Providers) context.CancelFunc {
			_, cancel := simctx.From(ctx).(*World).WithCancel(ctx)
			return cancel
		},
		"a deadline's cancel": func(ctx context.Context, p providers.Providers) context.CancelFunc {
			_, cancel := p.Time.WithTimeout(ctx, time.Second)
			return cancel
		},
	}
	for what, make := range cancels {
		t.Run(what, func(t *testing.T) {
			returned := false
			res := run(1, func(ctx context.Context, p providers.Providers) error {
				cancel := make(ctx, p)
				goAndWait(func() {
					cancel()
					returned = true
				})
				return nil
			})
			requireStray(t, res, what)
			assert.False(t, returned, "the stray call does not return")
		})
	}
}

// deadlockedWorld returns a world and a channel closed when the world's
// run fails with a deadlock: the moment a stray goroutine that was to
// prevent it is too late to.
func deadlockedWorld() (*World, <-chan struct{}) {
	w := New(Config{Seed: 1})
	deadlocked := make(chan struct{})
	w.ObserveTimeline(func(e Entry) {
		if e.Msg == "failed: "+Deadlock.String() {
			close(deadlocked)
		}
	})
	return w, deadlocked
}

// A stray goroutine that calls in only after the run deadlocked, for want
// of what it would have done, is the cause: the run waits for it.
func TestStrayCallAfterADeadlockIsTheCause(t *testing.T) {
	w, deadlocked := deadlockedWorld()
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		tp := p.Task.(Parker)
		tok := tp.WaitToken()
		go func() {
			<-deadlocked
			tp.Wake(tok)
		}()
		return tp.Park(ctx, tok, "the stray goroutine's wake")
	})
	requireStray(t, res, "Wake")
}

// A stray goroutine that is still at work when the grace is over, as one
// that a loaded machine has not run yet is, is waited for.
func TestStrayCallAfterTheGraceIsWaitedForWhileTheGoroutineRuns(t *testing.T) {
	w, deadlocked := deadlockedWorld()
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		tp := p.Task.(Parker)
		tok := tp.WaitToken()
		go func() {
			<-deadlocked
			for start := time.Now(); time.Since(start) < 2*strayGrace; {
				// Runnable or running all along, as a goroutine that
				// waits for a processor is.
			}
			tp.Wake(tok)
		}()
		return tp.Park(ctx, tok, "the stray goroutine's wake")
	})
	requireStray(t, res, "Wake")
}

func TestStrayCallAfterTheRunGoesToOnLateStray(t *testing.T) {
	w := New(Config{Seed: 1})
	var mu sync.Mutex
	var late []*Failure
	w.OnLateStray(func(f *Failure) {
		mu.Lock()
		defer mu.Unlock()
		late = append(late, f)
	})
	var p providers.Providers
	res := w.Run(func(ctx context.Context, pp providers.Providers) error {
		p = pp
		return pp.Time.Sleep(ctx, time.Minute)
	})
	require.NoError(t, res.Err)
	goAndWait(func() { p.Random.Uint64() })
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, late, 1)
	assert.Equal(t, Stray, late[0].Kind)
	assert.Equal(t, time.Minute, late[0].At)
	assert.Contains(t, late[0].Msg, "after the run ended, a goroutine that the simulation does not run called into it (Random.Uint64)")
}

// A task of one world that calls into another (a value kept from an
// earlier seed) panics: its own engine reports it.
func TestTaskCallingAnotherWorldPanics(t *testing.T) {
	var first providers.Providers
	run(1, func(ctx context.Context, p providers.Providers) error { first = p; return nil })
	res := run(2, func(ctx context.Context, p providers.Providers) error {
		first.Random.Uint64()
		return nil
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Panic, f.Kind)
	assert.Contains(t, f.Msg, "sim: a task called into another simulation (Random.Uint64)")
	assert.Contains(t, f.Msg, "make such values in each run, not once for all of them (in a package variable, a sync.Once)", "the fix")
}

// A task that waits on a raw channel for a stray goroutine waits for a
// goroutine that its stray call ended: the watchdog reports the stray
// call, the cause, rather than the wait. It does so at its first look
// after the call, a sixteenth of its period; the period is long so that a
// stray goroutine that a loaded machine runs late still calls in before it.
func TestWatchdogReportsTheStrayCallATaskWaitsFor(t *testing.T) {
	release := make(chan uint64)
	res := New(Config{Seed: 1}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		go func() { release <- p.Random.Uint64() }()
		<-release // a raw channel: invisible to the simulation
		return nil
	}, 5*time.Second) // a bound only
	requireStray(t, res, "Random.Uint64")
	// Let the abandoned world finish so no goroutine outlives the test.
	release <- 0
}

// The result of a run given up for a stray call counts its steps and
// events apart, as every other result does, and says when it stopped.
func TestWatchdogCountsTheStepsBeforeAStrayCall(t *testing.T) {
	release := make(chan uint64)
	res := New(Config{Seed: 1}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		if err := p.Time.Sleep(ctx, time.Minute); err != nil {
			return err
		}
		go func() { release <- p.Random.Uint64() }()
		<-release // a raw channel: invisible to the simulation
		return nil
	}, 5*time.Second) // a bound only
	requireStray(t, res, "Random.Uint64")
	assert.Equal(t, [2]uint64{2, 1}, [2]uint64{res.Steps, res.Events}, "the root's two steps and the end of its sleep")
	assert.Equal(t, time.Minute, res.SimTime)
	release <- 0
}

// A goroutine started by a task that waits outside the simulation, and so
// never calls in, is named in the deadlock it leaves behind.
func TestDeadlockNamesTheGoroutinesTasksStarted(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		tp := p.Task.(Parker)
		tok := tp.WaitToken()
		go wakesOnRelease(release, tp, tok)
		return tp.Park(ctx, tok, "the goroutine's wake")
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, "1 goroutine(s) started by the run's tasks (with go statements, context.AfterFunc or time.AfterFunc) are alive")
	assert.Contains(t, f.Msg, strayFix)
	assert.Contains(t, f.Msg, "sim.wakesOnRelease\n\t\t")
}

func wakesOnRelease(release chan struct{}, tp Parker, tok providers.WaitToken) {
	if _, ok := <-release; ok {
		tp.Wake(tok)
	}
}

// A cancel of World.WithCancel's, or of a deadline's, called after the
// run, from any goroutine (a library's deferred cancel), is no stray call
// and changes nothing of the world: a goroutine that nothing orders after
// the run's end would race with it, and the deadline's timer may serve
// another world by then.
func TestACancelAfterTheRunLeavesTheWorldAlone(t *testing.T) {
	parents := map[string]func(ctx context.Context) context.Context{
		"a context of the world's": func(ctx context.Context) context.Context { return ctx },
		"a context of another kind": func(ctx context.Context) context.Context {
			return struct{ context.Context }{ctx}
		},
		"a context that hides its values": func(ctx context.Context) context.Context {
			return noValues{ctx}
		},
	}
	makers := map[string]func(w *World, p providers.Providers, parent context.Context) (context.Context, context.CancelFunc){
		"WithCancel": func(w *World, _ providers.Providers, parent context.Context) (context.Context, context.CancelFunc) {
			return w.WithCancel(parent)
		},
		"WithTimeout": func(_ *World, p providers.Providers, parent context.Context) (context.Context, context.CancelFunc) {
			return p.Time.WithTimeout(parent, time.Hour)
		},
	}
	for what, parent := range parents {
		for how, mk := range makers {
			t.Run(how+" under "+what, func(t *testing.T) {
				w := New(Config{Seed: 1})
				var late []*Failure
				w.OnLateStray(func(f *Failure) { late = append(late, f) })
				var ctx context.Context
				var cancel context.CancelFunc
				res := w.Run(func(root context.Context, p providers.Providers) error {
					ctx, cancel = mk(w, p, parent(root))
					return nil
				})
				require.NoError(t, res.Err)
				cancels := w.cancels
				returned := false
				done := make(chan struct{})
				go func() {
					defer close(done)
					cancel()
					returned = true
				}()
				<-done
				assert.True(t, returned, "cancel returned to its caller")
				assert.Empty(t, late, "no late stray call")
				assert.Equal(t, cancels, w.cancels, "the cancel noted nothing in the world")
				assert.ErrorIs(t, ctx.Err(), context.Canceled)
			})
		}
	}
}

// noValues hides its parent's values, and with them the parent's kind:
// the world makes package context's contexts under it (parentOf).
type noValues struct{ context.Context }

func (noValues) Value(any) any { return nil }

// A stray call from the runtime's finalizer goroutine, or from one that
// runs cleanups, is named as such, with what the call did to it: the
// runtime starts no other, so later finalizers of the binary never run.
// Stacks as Go 1.26 prints them (no "created by" line): a real call would
// stop this binary's finalizers.
func TestStrayOriginNamesFinalizersAndCleanups(t *testing.T) {
	started, fix := strayOrigin("goroutine 18 [running]:\nexample.(*conn).finalize(0x0?)\n\t/m/conn.go:9 +0x1c\nruntime.runFinalizers()\n\t/usr/local/go/src/runtime/mfinal.go:272 +0x3f7\n")
	assert.Contains(t, started, "runtime's finalizer goroutine, running a function given to runtime.SetFinalizer")
	assert.Contains(t, started, "no finalizer of this test binary runs after it")
	assert.Equal(t, finalizerFix, fix)

	started, fix = strayOrigin("goroutine 19 [running]:\nexample.release(0x421de5?)\n\t/m/r.go:3 +0x1c\nruntime.runCleanups()\n\t/usr/local/go/src/runtime/mcleanup.go:745 +0xd9\n")
	assert.Contains(t, started, "runtime.AddCleanup")
	assert.Equal(t, finalizerFix, fix)
}

// A stray call from the goroutine testify's EventuallyWithT (or
// Eventually, Never) runs its condition on names testify's wait and
// S.Eventually, not the Task provider and programs.
func TestStrayOriginNamesTestifysEventually(t *testing.T) {
	for _, fn := range []string{"EventuallyWithT", "Eventually", "Never"} {
		started, fix := strayOrigin("goroutine 31 [running]:\nexample.(*Cache).Get(0x0?)\n\t/m/service.go:68 +0x1c\n" +
			"github.com/stretchr/testify/assert." + fn + ".func1()\n\t/mod/github.com/stretchr/testify@v1.12.1/assert/assertions.go:2115 +0x3f\n" +
			"created by github.com/stretchr/testify/assert." + fn + " in goroutine 23\n\t/mod/github.com/stretchr/testify@v1.12.1/assert/assertions.go:2127 +0x9d\n")
		assert.Equal(t, "it was started by testify's assert."+fn+", which runs its condition on a goroutine of its own and waits on the wall clock, "+
			"while simulated time stands still", started)
		assert.Equal(t, "in a simulation, check a condition over simulated time with S.Eventually (a check that reads state, on the scheduler), "+
			"or retry a call in the body or a task with s.Sleep between tries, not with testify's Eventually, EventuallyWithT or Never", fix)
	}
	started, fix := strayOrigin("goroutine 32 [running]:\nexample.f()\n\t/m/f.go:3 +0x1c\ncreated by github.com/stretchr/testify/assert.CallerInfo in goroutine 23\n\t/m/x.go:1 +0x9d\n")
	assert.Equal(t, "it was started by a go statement in github.com/stretchr/testify/assert.CallerInfo", started)
	assert.Equal(t, strayFix, fix)
}

// A stray call from the goroutine http.TimeoutHandler runs its handler
// on, or from the timer httputil.ReverseProxy flushes a streamed answer
// from, names the wrapper and what a simhttp user does instead. Stacks as
// Go 1.26 prints them.
func TestStrayOriginNamesNetHTTPWrappers(t *testing.T) {
	started, fix := strayOrigin("goroutine 40 [running]:\nexample.(*Service).slow(0x0?)\n\t/m/service.go:12 +0x1c\n" +
		"net/http.HandlerFunc.ServeHTTP(0x0?, {0x0, 0x0}, 0x0)\n\t/usr/local/go/src/net/http/server.go:2322 +0x29\n" +
		"net/http.(*timeoutHandler).ServeHTTP.func1()\n\t/usr/local/go/src/net/http/server.go:3837 +0x6f\n" +
		"created by net/http.(*timeoutHandler).ServeHTTP in goroutine 38\n\t/usr/local/go/src/net/http/server.go:3831 +0x2a5\n")
	assert.Equal(t, "it was started by http.TimeoutHandler, which runs the handler on a goroutine of its own under a deadline on the wall clock", started)
	assert.Equal(t, timeoutHandlerFix, fix)

	started, fix = strayOrigin("goroutine 41 [running]:\nexample.(*response).FlushError(0x0?)\n\t/m/response.go:9 +0x1c\n" +
		"net/http/httputil.(*maxLatencyWriter).delayedFlush(0xc000123450)\n\t/usr/local/go/src/net/http/httputil/reverseproxy.go:800 +0x8a\n" +
		"created by time.goFunc\n\t/usr/local/go/src/time/sleep.go:215 +0x2d\n")
	assert.Contains(t, started, "it was started by httputil.ReverseProxy, which flushes a streamed answer")
	assert.Equal(t, reverseProxyFix, fix)

	_, fix = strayOrigin("goroutine 42 [running]:\nexample.tick()\n\t/m/t.go:3 +0x1c\ncreated by time.goFunc\n\t/usr/local/go/src/time/sleep.go:215 +0x2d\n")
	assert.Equal(t, "use p.Time.AfterFunc(d, f), which runs f in a task of its own", fix)
}
