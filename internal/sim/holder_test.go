package sim

import (
	"context"
	"fmt"
	"runtime"
	"strings"
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

// Tasks that wait in one state at one place are told once, with a count
// and the first few names (a name they share, once): a hundred handlers
// stuck on one line would otherwise bury the task that matters under a
// hundred copies of a stack.
func TestAStuckRunTellsTasksWaitingAtOnePlaceOnce(t *testing.T) {
	var at int
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		c := providers.NewChan[int](p.Task, 0)
		for i := range 5 {
			p.Task.Go(ctx, fmt.Sprintf("handler-%d", i), func(ctx context.Context) error {
				at = line() + 1
				_, _, err := c.Recv(ctx)
				return err
			})
		}
		for range 2 {
			p.Task.Go(ctx, "pool", func(ctx context.Context) error {
				_, _, err := c.Recv(ctx)
				return err
			})
		}
		lone := p.Task.Go(ctx, "lone", func(ctx context.Context) error {
			_, _, err := c.Recv(ctx)
			return err
		})
		return lone.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, `5 tasks wait on chan receive, all at one place ("handler-0", "handler-1", "handler-2" and 2 more):`+"\n\t")
	assert.Equal(t, 1, strings.Count(f.Msg, fmt.Sprintf("holder_test.go:%d\n", at)), "the stack is shown once:\n%s", f.Msg)
	assert.NotContains(t, f.Msg, `task "handler-`)
	assert.Contains(t, f.Msg, `2 tasks wait on chan receive, all at one place ("pool" x2):`, "a name they share is listed once")
	assert.Contains(t, f.Msg, `task "lone" waits on chan receive:`, "a task at another place is told alone")
	assert.Contains(t, f.Msg, `task "driver" waits on task join (of task "lone"):`)
}
