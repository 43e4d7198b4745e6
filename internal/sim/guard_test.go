package sim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

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
	}, 200*time.Millisecond) // a bound only
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	heard := hooks.Load()

	close(release)
	goleak.VerifyNone(t, before) // waits for the world's goroutines to end
	assert.Zero(t, after.Load(), "no task ran on after the world was given up")
	assert.Equal(t, heard, hooks.Load(), "the runner's hooks heard nothing more")
}
