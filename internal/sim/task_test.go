package sim

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// A task and the context the world makes for it are one allocation: a
// task started, run to its end and joined allocates the task and its
// joiner's entry, and nothing else once the world has a worker for it.
func TestATaskAndItsContextAreOneAllocation(t *testing.T) {
	skipOn32Bit(t)
	var allocs float64
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		fn := func(context.Context) error { return nil }
		allocs = testenv.AllocsPerRun(100, func() {
			h := p.Task.Go(ctx, "short", fn)
			_ = h.Join(ctx)
		})
		return nil
	})
	require.NoError(t, res.Err)
	assert.LessOrEqual(t, allocs, 2.0, "allocations per task started and joined")

	// The context's first line, which the polls of waiters read, is a
	// line of the task's (whose size class is a multiple of 64 bytes:
	// TestTaskIsAlignedToCacheLines).
	assert.Zero(t, unsafe.Offsetof(task{}.ownCtx)%64, "the task's context starts on a cache line")
	assert.LessOrEqual(t, unsafe.Offsetof(simContext{}.parent)+unsafe.Sizeof(simContext{}.parent), uintptr(64), "the fields a poll reads share the context's first line")
}

// skipOn32Bit skips a test of a layout or of allocation counts: both are
// tuned for 64-bit platforms, and on a 32-bit one words and the size
// classes they fall in differ.
func skipOn32Bit(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) < 8 {
		t.Skip("layouts and allocation counts are tuned for 64-bit platforms")
	}
}

// keptKey is a key of a value a task's context inherits.
type keptKey struct{}

// A context kept after its task ended (by a child context, a struct, a
// closure) lives in the task's allocation (TestATaskAndItsContextAreOneAllocation),
// and keeps those bytes; but not what the task's function held, which a
// process's task holds by the whole of the process's state. The kept
// context answers as before: done, Canceled, and the values it inherits.
// Dropped, it was all that held the task.
func TestAContextKeptAfterItsTaskEndedKeepsNotWhatTheTaskHeld(t *testing.T) {
	var (
		kept  context.Context
		state weak.Pointer[[1 << 16]byte]
		tk    weak.Pointer[task]
	)
	// check asks the kept context what it answered while its task lived.
	check := func(when string) {
		t.Helper()
		require.NotNil(t, kept)
		assert.ErrorIs(t, kept.Err(), context.Canceled, when)
		select {
		case <-kept.Done():
		default:
			t.Errorf("%s: the kept context is not done", when)
		}
		assert.Equal(t, "kept", kept.Value(keptKey{}), when)
		assert.NotNil(t, simctx.From(kept), "%s: the kept context carries its simulation", when)
	}
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		ctx = context.WithValue(ctx, keptKey{}, "kept")
		tk = startHolder(ctx, p, &state, &kept)
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		collect()
		assert.True(t, state.Value() == nil, "what the ended task's function held is kept by its context")
		check("in the run")
		return nil
	})
	require.NoError(t, res.Err)
	collect()
	assert.True(t, state.Value() == nil, "what the ended task's function held is kept by its context after the run")
	check("after the run")
	kept = nil
	collect()
	assert.True(t, tk.Value() == nil, "the task is held by more than its context")
}

// startHolder starts a task whose function holds a large value, and which
// keeps its context in kept and ends. It returns weak pointers to the
// value, in state, and to the task: the caller's frame holds neither.
//
//go:noinline
func startHolder(ctx context.Context, p providers.Providers, state *weak.Pointer[[1 << 16]byte], kept *context.Context) weak.Pointer[task] {
	big := new([1 << 16]byte)
	*state = weak.Make(big)
	h := p.Task.Go(ctx, "holder", func(ctx context.Context) error {
		*kept = ctx
		big[0] = 1
		return nil
	})
	return weak.Make(h.(*task))
}

// collect runs the collector until weak pointers to what it freed are nil.
func collect() {
	runtime.GC()
	runtime.GC()
}

// A task's error reaches its joiners only, so the timeline's line of its
// end names it: a task nobody joins leaves a trace of what it returned.
// The line is a log line, not an event, so the trace hash is the same
// whatever the task returns; an error of many lines is quoted into one.
func TestATasksEndNamesTheErrorItReturned(t *testing.T) {
	run := func(err error) Result {
		return New(Config{Seed: 3, Timeline: 64}).Run(func(ctx context.Context, p providers.Providers) error {
			p.Task.Go(ctx, "w", func(ctx context.Context) error { return err })
			p.Task.Go(ctx, "ok", func(ctx context.Context) error { return nil })
			return p.Time.Sleep(ctx, time.Second)
		})
	}
	ends := func(res Result) map[string]string {
		require.NoError(t, res.Err)
		out := map[string]string{}
		for _, e := range res.Timeline {
			if e.Name == "task finished" && e.Task != "driver" {
				assert.False(t, e.Event, "a log line, not an event")
				out[e.Task] = e.Msg
			}
		}
		return out
	}
	failed := run(errors.New("task failed"))
	assert.Equal(t, map[string]string{"w": "task finished: returned an error: task failed", "ok": "task finished"}, ends(failed))
	clean := run(nil)
	assert.Equal(t, map[string]string{"w": "task finished", "ok": "task finished"}, ends(clean))
	assert.Equal(t, clean.Trace, failed.Trace, "what a task returns is not hashed")
	lines := run(errors.New("two\nlines"))
	assert.Equal(t, `task finished: returned an error: "two\nlines"`, ends(lines)["w"])
}
