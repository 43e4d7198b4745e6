package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// TestJoinOfAKilledTaskIsAnError: a killed task's function never
// returned, so Join gives an error wrapping providers.ErrKilled, never
// the nil of a task that finished: for a task killed by Kill, for one
// killed before it began, for every task of a crashed group, to a Join
// that was already waiting when the kill came and to one that comes
// after, whatever the task's function would have returned.
func TestJoinOfAKilledTaskIsAnError(t *testing.T) {
	w := New(Config{Seed: 3})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		sleeper := p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Hour)
			return nil // what it would return if it woke
		})
		unstarted := p.Task.Go(ctx, "unstarted", func(context.Context) error { return nil })
		w.Kill(unstarted)

		var waited error
		joiner := p.Task.Go(ctx, "joiner", func(ctx context.Context) error {
			waited = sleeper.Join(ctx)
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Second)) // the joiner waits in Join
		w.Kill(sleeper)
		require.NoError(t, joiner.Join(ctx))
		assert.ErrorIs(t, waited, providers.ErrKilled, "a Join that waited when the kill came")
		assert.ErrorIs(t, sleeper.Join(ctx), providers.ErrKilled, "a Join after the kill")
		assert.ErrorContains(t, sleeper.Join(ctx), "task sleeper: ", "the error names the task")
		assert.ErrorIs(t, unstarted.Join(ctx), providers.ErrKilled, "a task killed before it began")

		g := w.NewGroup("node1")
		main := g.Go(ctx, "main", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		g.Crash()
		err := main.Join(ctx)
		assert.ErrorIs(t, err, providers.ErrKilled, "a task of a crashed group")
		assert.ErrorContains(t, err, "the kill of process node1 at 2s", "the error says which kill")
		return nil
	})
	require.NoError(t, res.Err)
}
