package sim

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// line returns the line it is called from.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// A lock-order deadlock's report names, for each waiting task, the task
// that holds the Mutex it waits on and the line where that task locked it.
func TestDeadlockNamesEachMutexHolderAndWhereItLocked(t *testing.T) {
	var lineA, lineB int
	world := New(Config{Seed: 1})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		a, b := providers.NewMutex(p.Task), providers.NewMutex(p.Task)
		one := p.Task.Go(ctx, "one", func(ctx context.Context) error {
			lineA = line() + 1
			_ = a.Lock(ctx)
			_ = p.Time.Sleep(ctx, time.Millisecond)
			return b.Lock(ctx)
		})
		two := p.Task.Go(ctx, "two", func(ctx context.Context) error {
			lineB = line() + 1
			_ = b.Lock(ctx)
			_ = p.Time.Sleep(ctx, time.Millisecond)
			return a.Lock(ctx)
		})
		_ = one.Join(ctx)
		return two.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, fmt.Sprintf(`task "one" waits on mutex lock (held by task "two", which locked it in `+
		`github.com/moonpool-go/moonpool/internal/sim.TestDeadlockNamesEachMutexHolderAndWhereItLocked.func1.2 at `))
	assert.Contains(t, f.Msg, fmt.Sprintf("holder_test.go:%d)", lineB))
	assert.Contains(t, f.Msg, `task "two" waits on mutex lock (held by task "one", which locked it in `)
	assert.Contains(t, f.Msg, fmt.Sprintf("holder_test.go:%d)", lineA))
}

// Locked through a method value, a Mutex is still named by the line of the
// call, not by the wrapper the compiler makes for the method value.
func TestDeadlockNamesALockThroughAMethodValue(t *testing.T) {
	var at int
	world := New(Config{Seed: 1})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		lock := m.Lock
		at = line() + 1
		_ = lock(ctx)
		return m.Lock(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, fmt.Sprintf(`(held by task "driver", which locked it in `+
		`github.com/moonpool-go/moonpool/internal/sim.TestDeadlockNamesALockThroughAMethodValue.func1 at `))
	assert.Contains(t, f.Msg, fmt.Sprintf("holder_test.go:%d)", at))
}

// The description is made when the report is: a Mutex handed from one
// holder to the next names the holder at that time.
func TestMutexHolderIsTheOneAtReportTime(t *testing.T) {
	world := New(Config{Seed: 2})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(ctx))
		p.Task.Go(ctx, "next", func(ctx context.Context) error {
			_ = m.Lock(ctx) // handed over by the root's Unlock, then kept
			return nil
		})
		p.Task.Go(ctx, "last", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Millisecond)
			return m.Lock(ctx)
		})
		_ = p.Time.Sleep(ctx, 2*time.Millisecond)
		m.Unlock()
		return m.Lock(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, `task "last" waits on mutex lock (held by task "next", which locked it in `)
	assert.Contains(t, f.Msg, `task "driver" waits on mutex lock (held by task "next"`)
}

// BenchmarkMutexLockUnlock measures an uncontended Lock and Unlock in a
// simulation, which records the holder and its Lock call's site.
func BenchmarkMutexLockUnlock(b *testing.B) {
	world := New(Config{Seed: 1})
	world.Run(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		b.ResetTimer()
		for range b.N {
			_ = m.Lock(ctx)
			m.Unlock()
		}
		return nil
	})
}
