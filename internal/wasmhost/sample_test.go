package wasmhost_test

import (
	"context"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/providers"
)

// lineSignal closes ready at the first write of line.
type lineSignal struct {
	line  string
	ready chan struct{}
	seen  atomic.Bool
}

func (s *lineSignal) Write(b []byte) (int, error) {
	if strings.Contains(string(b), s.line) && s.seen.CompareAndSwap(false, true) {
		close(s.ready)
	}
	return len(b), nil
}

// A program that computes between host calls, in one world, does not
// blind the watchdog of another: the sample of a busy task there waits
// for the program to call the host, and the task is told busy, with its
// stack, not blocked outside the simulation.
func TestAProgramThatComputesDoesNotBlindAnotherWorldsWatchdog(t *testing.T) {
	mod := guestModule(t)
	started := &lineSignal{line: "computing", ready: make(chan struct{})}
	computed := make(chan sim.Result, 1)
	go func() {
		w := sim.New(sim.Config{Seed: 1})
		computed <- w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
			return mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", "compute"}, Stdout: started})
		}, 0)
	}()
	select {
	case <-started.ready:
	case res := <-computed:
		t.Fatalf("the program ended before it computed: %v", res.Err)
	}

	var stop atomic.Bool
	n := 0
	w := sim.New(sim.Config{Seed: 2})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		if err := p.Time.Sleep(ctx, time.Second); err != nil {
			return err
		}
		for !stop.Load() {
			n = n*3 + 1
		}
		return nil
	}, 300*time.Millisecond) // a bound only
	stop.Store(true)
	var f *sim.Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, sim.Busy, f.Kind, "%v", f)
	assert.Contains(t, f.Msg, "its goroutine is running, not waiting")
	assert.Contains(t, f.Stack, "sample_test.go:", "the task's own stack")
	select {
	case <-computed:
		// Ended first, the program may not have computed during every
		// sample: the test would pass without waiting for it.
		t.Log("the program ended before the other world's watchdog was done with its samples")
	default:
	}
	require.NoError(t, (<-computed).Err)
}

// A task spinning in the code of a program built with StopSpins, past the
// simulation's watchdog but before the host's, is told it will be stopped
// then, and the garbage collector stays on: the spin ends.
func TestTheWatchdogTellsAStopSpinsProgramsSpinWillBeStopped(t *testing.T) {
	guestModule(t)
	mod, err := wasmhost.CompileFile(context.Background(), guest.path, wasmhost.Options{CacheDir: wasmhost.DefaultCacheDir(), StopSpins: true})
	require.NoError(t, err)
	defer mod.Close(context.Background())
	ran := make(chan error, 1)
	w := sim.New(sim.Config{Seed: 3})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		err := mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", "cpuspin"}, Watchdog: 3 * time.Second})
		ran <- err
		return err
	}, 300*time.Millisecond)
	// The program's goroutine ends once the host stops the spin.
	require.ErrorIs(t, <-ran, wasmhost.ErrSpinning)
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	assert.Positive(t, gc, "the collector stays on")
	var f *sim.Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, sim.Busy, f.Kind, "%v", f)
	assert.Contains(t, f.Msg, "in the code of the program it runs")
	assert.Contains(t, f.Msg, "built with program.Config{StopSpins: true}, so the loop is stopped once it has run for 3s without calling the host")
	assert.NotContains(t, f.Msg, "Build the program with")
	assert.NotContains(t, f.Msg, "the functions it spins in")
}
