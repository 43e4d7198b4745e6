package sim

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
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

// TestWorkersHoldAReserveForTheCollector checks that a Workers in use
// holds its reserve live, which raises the collector's goal by at least
// the reserve's size, and lets go of it when closed.
func TestWorkersHoldAReserveForTheCollector(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("the goal is checked at the default GOGC")
	}
	goal := func() uint64 {
		runtime.GC()
		m := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
		metrics.Read(m)
		return m[0].Value.Uint64()
	}
	pool := NewWorkers()
	defer pool.Close()
	require.NoError(t, New(Config{Seed: 1, Workers: pool}).Run(busy).Err)
	held := goal()
	pool.Close()
	free := goal()
	assert.GreaterOrEqual(t, held, free+gcReserve,
		"the collector's goal with the reserve held (%d B) and without (%d B)", held, free)
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
		w.abandon() // as RunGuarded marks a world a task escaped
		return err
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Abandoned, f.Kind)
	assert.NotZero(t, w.workers)
	assert.Empty(t, pool.idle, "the workers of an abandoned world are stopped, not pooled")
}

// TestKilledTasksHandTheirWorkersOn kills tasks every way a task is
// killed (parked, ready, not yet started, the running task itself, and
// the rest at the end of the run) and expects their workers in the pool,
// so that the next world starts its tasks on them.
func TestKilledTasksHandTheirWorkersOn(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	var w *World
	body := func(ctx context.Context, p providers.Providers) error {
		forever := func(ctx context.Context) error {
			defer func() { _ = p.Time.Sleep(ctx, time.Second) }() // fails at once, killed
			return p.Time.Sleep(ctx, time.Hour)
		}
		parked := p.Task.Go(ctx, "parked", forever)
		p.Task.Yield(ctx) // let it park
		w.Kill(parked)
		w.Kill(p.Task.Go(ctx, "unstarted", forever))
		self := p.Task.Go(ctx, "self", func(ctx context.Context) error {
			w.Kill(w.cur)
			return nil
		})
		require.ErrorIs(t, self.Join(ctx), providers.ErrKilled, "it killed itself")
		for i := range 3 {
			p.Task.Go(ctx, fmt.Sprint("left-", i), forever) // killed when the root returns
		}
		p.Task.Yield(ctx)
		return nil
	}
	first := New(Config{Seed: 1, Workers: pool})
	w = first
	require.NoError(t, first.Run(body).Err)
	assert.Len(t, pool.idle, first.workers, "every worker of the first world is idle in the pool")
	second := New(Config{Seed: 1, Workers: pool})
	w = second
	require.NoError(t, second.Run(body).Err)
	assert.Zero(t, second.workers, "the second world made no worker")
}

// TestGuardedRunsShareTheirGoroutine runs worlds under RunGuarded with one
// Workers: after the first, they make no goroutine, not even the one each
// runs on.
func TestGuardedRunsShareTheirGoroutine(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	created := func() uint64 {
		m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(m)
		if m[0].Value.Kind() != metrics.KindUint64 {
			t.Skip("this runtime does not count the goroutines it makes")
		}
		return m[0].Value.Uint64()
	}
	run := func(seed uint64) {
		res := New(Config{Seed: seed, Workers: pool}).RunGuarded(busy, 0)
		require.NoError(t, res.Err)
	}
	run(0)
	before := created()
	const runs = 200
	for seed := range uint64(runs) {
		run(seed + 1)
	}
	made := created() - before
	assert.Less(t, made, uint64(runs/10), "%d goroutines made by %d runs", made, runs)
}

// crowded starts tasks that sleep and set deadlines at many times, and
// leaves some parked for the teardown to kill: it grows every store a
// world hands on (spare events, deadline timers, killed tasks' stacks),
// and its queue.
func crowded(ctx context.Context, p providers.Providers) error {
	for i := range 60 {
		p.Task.Go(ctx, fmt.Sprintf("t%d", i), func(ctx context.Context) error {
			for range 1 + p.Random.IntN(4) {
				dctx, cancel := p.Time.WithTimeout(ctx, time.Duration(1+p.Random.IntN(50))*time.Millisecond)
				err := p.Time.Sleep(dctx, time.Duration(p.Random.IntN(80))*time.Millisecond)
				cancel()
				if err == nil && i%7 == 0 {
					p.Time.AfterFunc(time.Duration(p.Random.IntN(30))*time.Millisecond, func() {})
				}
			}
			if i%5 == 0 {
				return p.Time.Sleep(ctx, time.Hour) // killed at the end
			}
			return nil
		})
	}
	return p.Time.Sleep(ctx, time.Second)
}

func TestWorkersCarryStorageFromWorldToWorld(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	for seed := range uint64(10) {
		want := New(Config{Seed: seed}).Run(crowded)
		require.NoError(t, want.Err)

		w := New(Config{Seed: seed, Workers: pool})
		if seed > 0 {
			require.NotNil(t, w.store, "seed %d: the world took the store of the one before", seed)
			assert.NotEmpty(t, w.deadlineTimers, "seed %d: the world starts with the deadline timers of the one before", seed)
			assert.NotZero(t, cap(w.killPCs), "seed %d", seed)
		}
		got := w.Run(crowded)
		require.NoError(t, got.Err)
		assert.Equal(t, want.Trace, got.Trace, "seed %d: the storage handed on changes nothing a run does", seed)
		assert.Equal(t, want.Timeline, got.Timeline, "seed %d", seed)
		assert.Nil(t, w.store, "seed %d: the world keeps nothing it gave back", seed)
		assert.Len(t, pool.stores, 1, "seed %d: one world at a time needs one store", seed)
	}

	// A world that starts with the store allocates less than one that
	// starts with the workers only.
	workersOnly := testing.AllocsPerRun(5, func() {
		pool.stores = nil
		New(Config{Seed: 3, Workers: pool}).Run(crowded)
	})
	handed := testing.AllocsPerRun(5, func() { New(Config{Seed: 3, Workers: pool}).Run(crowded) })
	assert.Less(t, handed, workersOnly-50, "a world that takes a store allocates less: %v against %v", handed, workersOnly)
}
