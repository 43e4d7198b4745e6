package sim

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// here returns the line it is called from.
func here() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// A task that recovers its kill and loops is caught at its next call into
// the simulation, with the line of the recover.
func TestSwallowedKillIsReportedAtOnce(t *testing.T) {
	var at int
	loops := 0
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		g := w.NewGroup("node")
		g.Go(ctx, "main", func(ctx context.Context) error {
			for {
				loops++
				func() {
					at = here() + 1
					defer func() { _ = recover() }()
					_ = p.Time.Sleep(ctx, time.Hour)
				}()
			}
		})
		_ = p.Time.Sleep(ctx, time.Second)
		g.Kill()
		t.Error("the driver went on after the world failed")
		return nil
	}, time.Minute) // a bound only: before, the run spun until the watchdog
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, SwallowedKill, f.Kind, f.Error())
	assert.Equal(t, "node/main", f.Task)
	assert.Equal(t, time.Second, f.At)
	assert.Contains(t, f.Msg, "the task was killed at 1s")
	assert.Contains(t, f.Msg, fmt.Sprintf("swallow_test.go:%d", at), "the line that recovered")
	assert.Contains(t, f.Msg, "went on to call the simulation again")
	assert.Contains(t, f.Stack, "swallow_test.go", "where the task went on")
	assert.False(t, res.Goexit, "the engine's own Goexit does not reach the test")
	assert.Equal(t, 2, loops, "the task ran once more, up to its next call")
}

// The engine's Goexit, from a killed task that recovered its kill, comes
// back through the task that killed it, whose defers run on the way: a
// call into the world there is that Goexit's, not a stray goroutine's,
// and the run fails as the killed task made it, whichever of the run and
// the watchdog's goroutine ends it.
func TestSwallowedKillsGoexitThroughTheKillerIsNoStray(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		ctx, cancel := w.WithCancel(ctx)
		defer cancel() // runs on the Goexit's way
		g := w.NewGroup("node")
		g.Go(ctx, "main", func(ctx context.Context) error {
			for {
				func() {
					defer func() { _ = recover() }()
					_ = p.Time.Sleep(ctx, time.Hour)
				}()
			}
		})
		_ = p.Time.Sleep(ctx, time.Second)
		g.Kill()
		return nil
	}, time.Minute)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, SwallowedKill, f.Kind, f.Error())
	assert.False(t, w.strays.seen.Load(), "the killer's deferred cancel was taken for a stray call: %v", w.strays.f)
}

func TestSwallowedKillOfTheRunningTask(t *testing.T) {
	var at int
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		g := w.NewGroup("node")
		g.Go(ctx, "main", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Second)
			func() {
				at = here() + 1
				defer recoverAll()
				g.Kill() // the task kills its own process
			}()
			return p.Time.Sleep(ctx, time.Second)
		})
		return p.Time.Sleep(ctx, time.Hour)
	}, time.Minute)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, SwallowedKill, f.Kind, f.Error())
	_, line := runtime.FuncForPC(reflect.ValueOf(recoverAll).Pointer()).FileLine(reflect.ValueOf(recoverAll).Pointer())
	assert.Contains(t, f.Msg, fmt.Sprintf("swallow_test.go:%d", line+1), "the recover in the deferred function")
	assert.Contains(t, f.Msg, fmt.Sprintf("deferred at line %d", at), "the defer statement")
	assert.False(t, res.Goexit)
}

func recoverAll() {
	_ = recover()
}

func TestSwallowedKillThenReturnIsReported(t *testing.T) {
	var at int
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) (err error) {
		h := p.Task.Go(ctx, "server", func(ctx context.Context) (err error) {
			at = here() + 2
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("recovered: %v", r)
				}
			}()
			return p.Time.Sleep(ctx, time.Hour)
		})
		_ = p.Time.Sleep(ctx, time.Second)
		w.Kill(h)
		return p.Time.Sleep(ctx, time.Second)
	}, time.Minute)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, SwallowedKill, f.Kind, f.Error())
	assert.Equal(t, "server", f.Task)
	assert.Contains(t, f.Msg, fmt.Sprintf("swallow_test.go:%d", at))
	assert.Contains(t, f.Msg, "the task returned")
}

// Unwinding may run code that calls the simulation, and a deferred recover
// that panics again lets the kill through: neither is a swallowed kill.
func TestKilledTaskMayRecoverAndPanicAgain(t *testing.T) {
	var unwound []string
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "worker", func(ctx context.Context) error {
			defer func() { unwound = append(unwound, "outer") }()
			defer func() {
				err := p.Time.Sleep(ctx, time.Second) // fails at once: the task is dead
				unwound = append(unwound, "sleep in a defer")
				_ = err
			}()
			defer func() {
				if r := recover(); r != nil {
					unwound = append(unwound, "recovered")
					panic(r)
				}
			}()
			return p.Time.Sleep(ctx, time.Hour)
		})
		_ = p.Time.Sleep(ctx, time.Second)
		w.Kill(h)
		return p.Time.Sleep(ctx, time.Second)
	}, time.Minute)
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"recovered", "outer"}, unwound, "the sleep in a defer unwound its defer, as a kill does")
}

// A task that recovers its kill and then spins without calling the
// simulation can only be caught by the watchdog, which says so.
func TestSwallowedKillThenSpinIsNamedByTheWatchdog(t *testing.T) {
	var stop atomic.Bool
	defer stop.Store(true)
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "spinner", func(ctx context.Context) error {
			func() {
				defer func() { _ = recover() }()
				_ = p.Time.Sleep(ctx, time.Hour)
			}()
			for !stop.Load() {
			}
			return nil
		})
		_ = p.Time.Sleep(ctx, time.Second)
		w.Kill(h)
		return nil
	}, 500*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Busy, f.Kind)
	assert.Equal(t, "spinner", f.Task)
	assert.Contains(t, f.Msg, "the task was killed and has not finished unwinding")
}

// Tasks that recover their kill at the end of the run are each caught, and
// every goroutine of the run ends (goleak, in TestMain).
func TestSwallowedKillsAtTeardownAreAllReclaimed(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for _, name := range []string{"a", "b", "c"} {
			p.Task.Go(ctx, name, func(ctx context.Context) error {
				for {
					func() {
						defer func() { _ = recover() }()
						_ = p.Time.Sleep(ctx, time.Hour)
					}()
				}
			})
		}
		return p.Time.Sleep(ctx, time.Second)
	}, time.Minute) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, SwallowedKill, f.Kind, f.Error())
	assert.Equal(t, "a", f.Task)
	assert.False(t, res.Goexit)
	assert.Empty(t, w.tasks, "every task was reclaimed")
}
