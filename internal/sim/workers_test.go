package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// busy starts five tasks that sleep random times, and cancels one of them.
func busy(ctx context.Context, p providers.Providers) error {
	var hs []providers.Handle
	for i := range 5 {
		hs = append(hs, p.Task.Go(ctx, fmt.Sprintf("t%d", i), func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Duration(p.Random.IntN(100))*time.Millisecond)
		}))
	}
	hs[0].Cancel()
	for _, h := range hs[1:] {
		if err := h.Join(ctx); err != nil {
			return err
		}
	}
	return nil
}

func TestWorkersCarryGoroutinesFromWorldToWorld(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	for seed := range uint64(20) {
		alone := New(Config{Seed: seed})
		want := alone.Run(busy)
		require.NoError(t, want.Err)

		w := New(Config{Seed: seed, Workers: pool})
		got := w.Run(busy)
		require.NoError(t, got.Err)
		assert.Equal(t, want.Trace, got.Trace, "seed %d: sharing workers changes nothing a run does", seed)
		if seed > 0 {
			assert.Zero(t, w.workers, "seed %d: every task started on a worker of an earlier world", seed)
		}
	}
	assert.NotEmpty(t, pool.idle)
	pool.Close()
	assert.Empty(t, pool.idle)
	// goleak, in TestMain, checks that Close stopped them.
}

func TestWorkersKeepABoundedNumber(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	w := New(Config{Seed: 1, Workers: pool})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		var hs []providers.Handle
		for range maxIdleWorkers + 50 {
			hs = append(hs, p.Task.Go(ctx, "sleeper", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Second) }))
		}
		for _, h := range hs {
			if err := h.Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, res.Err)
	assert.Len(t, pool.idle, maxIdleWorkers)
}

func TestAnAbandonedWorldKeepsItsWorkers(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	w := New(Config{Seed: 1, Workers: pool})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		err := busy(ctx, p)
		w.abandoned.Store(true) // as RunGuarded marks a world a task escaped
		return err
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Abandoned, f.Kind)
	assert.NotZero(t, w.workers)
	assert.Empty(t, pool.idle, "the workers of an abandoned world are stopped, not pooled")
}
