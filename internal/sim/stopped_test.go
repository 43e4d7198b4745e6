package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A task that returns the error of its own context once that context has
// ended stops as it was asked to: its line is a plain "task finished",
// where "returned an error: context canceled" lines crowded a seed's
// last lines. Any other error keeps its line: one returned after the
// context ended, and a context error of another context while the task's
// own is open.
func TestATaskStoppedByItsContextFinishesPlainly(t *testing.T) {
	world := New(Config{Seed: 5})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		stop, cancel := context.WithCancel(ctx)
		// The ways a task stops with its context: the error as a wait
		// returns it, wrapped, and the context's cause.
		p.Task.Go(stop, "sleeper", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		p.Task.Go(stop, "wrapper", func(ctx context.Context) error {
			err := p.Time.Sleep(ctx, time.Hour)
			return fmt.Errorf("poll loop: %w", err)
		})
		p.Task.Go(stop, "other", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Hour)
			return errors.New("flush failed")
		})
		p.Task.Go(ctx, "foreign", func(ctx context.Context) error {
			inner, stopInner := context.WithCancel(ctx)
			stopInner()
			return inner.Err()
		})
		h := p.Task.Go(ctx, "cancelled", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		_ = p.Time.Sleep(ctx, time.Millisecond)
		cancel()
		h.Cancel()
		return p.Time.Sleep(ctx, time.Millisecond)
	})
	require.NoError(t, res.Err)
	var ends []string
	for _, e := range res.Timeline {
		if e.Name == "task finished" && e.Task != "driver" {
			ends = append(ends, e.Task+": "+e.Msg)
		}
	}
	slices.Sort(ends)
	assert.Empty(t, cmp.Diff([]string{
		"cancelled: task finished",
		"foreign: task finished: returned an error: context canceled",
		"other: task finished: returned an error: flush failed",
		"sleeper: task finished",
		"wrapper: task finished",
	}, ends))
}
