package sim

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A sample waits for a call out in its code to call out to Go, and no
// longer than foreignWait: a call that does not (a spin) makes it give
// up, and the samples that follow give up at once until the call comes
// in.
func TestStopWorldWaitsForACallToComeIn(t *testing.T) {
	c := EnterForeign(context.Background(), 0)
	defer c.End()
	in := make(chan struct{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.In()
		close(in)
	}()
	assert.True(t, stopWorld(func() {}), "the call came in")
	<-in

	c.Out()
	assert.False(t, stopWorld(func() { t.Error("sampled while a call ran its code") }))
	assert.True(t, c.stuck.Load(), "the call made a sample wait in vain")
	assert.False(t, stopWorld(func() { t.Error("sampled while a call ran its code") }))
	c.In()
	assert.False(t, c.stuck.Load(), "a call that comes in is waited for again")
	assert.True(t, stopWorld(func() {}))
}

// A busy task whose stack cannot be taken, for a program's code spins
// elsewhere in the process, is told so, not blocked outside the
// simulation.
func TestTheWatchdogSaysWhenNoStackCouldBeTaken(t *testing.T) {
	c := EnterForeign(context.Background(), 0) // out in its code, and never back
	defer c.End()
	var stop atomic.Bool
	defer stop.Store(true)
	n := 0
	w := New(Config{Seed: 9})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for !stop.Load() {
			n = n*3 + 1
		}
		return nil
	}, 200*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Unseen, f.Kind)
	assert.Contains(t, f.Msg, "no stack could be taken: a program's code was running elsewhere in this test binary")
	assert.NotContains(t, f.Msg, "its goroutine is blocked outside the simulation")
	// The headline claims nothing that was not seen either.
	headline, _, _ := strings.Cut(f.Error(), ": ")
	assert.Equal(t, `stack not taken at 0s in task "driver"`, headline)
}

// Workers.Leftover, which cannot count while a program's code spins
// elsewhere in the process, says it could not look rather than that no
// goroutine was left.
func TestLeftoverSaysWhenItCouldNotLook(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	stop := make(chan struct{})
	defer close(stop)
	res := New(Config{Seed: 1, Workers: pool}).Run(func(ctx context.Context, p providers.Providers) error {
		go func() { <-stop }() // left behind
		return nil
	})
	require.NoError(t, res.Err)
	n, _, _, looked := pool.Leftover(nil)
	require.True(t, looked)
	require.Equal(t, 1, n)

	c := EnterForeign(context.Background(), 0) // out in its code, and never back
	defer c.End()
	n, startedAs, in, looked := pool.Leftover(nil)
	assert.False(t, looked, "a count that could not be taken is not none")
	assert.Zero(t, n)
	assert.Empty(t, startedAs)
	assert.Empty(t, in)
}
