package sim

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		allocs = testing.AllocsPerRun(100, func() {
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
