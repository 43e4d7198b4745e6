package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

type goQuieter interface {
	GoQuiet(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle
}

// quietRun starts, from the driver and from a process, a helper task that
// sleeps and ends well, one that returns an error, and one that is
// killed, through GoQuiet when quiet and through Go when not.
func quietRun(t *testing.T, quiet bool) Result {
	world := New(Config{Seed: 7})
	return world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("proc")
		for _, task := range []providers.Task{p.Task, g.Task()} {
			goFn := task.Go
			if quiet {
				q, ok := task.(goQuieter)
				require.True(t, ok, "the simulation's Task has GoQuiet")
				goFn = q.GoQuiet
			}
			goFn(ctx, "ok", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Millisecond) })
			goFn(ctx, "bad", func(ctx context.Context) error {
				_ = p.Time.Sleep(ctx, time.Millisecond)
				return errors.New("the peer went away")
			})
			h := goFn(ctx, "doomed", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
			_ = p.Time.Sleep(ctx, 2*time.Millisecond)
			world.Kill(h)
		}
		return nil
	})
}

// A task started with GoQuiet runs as Go's would, with the same trace,
// but the timeline tells only an error it returns: its start, a good end
// and its kill say nothing.
func TestGoQuietTellsOnlyAnErrorInTheTimeline(t *testing.T) {
	loud, quiet := quietRun(t, false), quietRun(t, true)
	require.NoError(t, loud.Err)
	require.NoError(t, quiet.Err)
	assert.Equal(t, loud.Trace, quiet.Trace, "quiet changes no trace")
	lines := func(r Result) []string {
		var out []string
		for _, e := range r.Timeline {
			if e.Task != "driver" && e.Name != "phase" {
				out = append(out, e.Task+": "+e.Msg)
			}
		}
		return out
	}
	assert.Empty(t, cmp.Diff([]string{
		"bad: task finished: returned an error: the peer went away",
		"proc/bad: task finished: returned an error: the peer went away",
	}, lines(quiet)))
	assert.Contains(t, lines(loud), "ok: task started", "without GoQuiet, the lines are there")
}
