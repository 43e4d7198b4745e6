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

// lockOrder runs two tasks that lock a and b in opposite orders, a
// millisecond apart, so that each holds the Mutex the other waits on.
// lockCtx makes the context of the second Lock of each.
// It sets *lineA and *lineB, when not nil, to the lines of their first
// Lock calls.
func lockOrder(ctx context.Context, p providers.Providers, lockCtx func(context.Context) context.Context, lineA, lineB *int) {
	a, b := providers.NewMutex(p.Task), providers.NewMutex(p.Task)
	p.Task.Go(ctx, "one", func(ctx context.Context) error {
		if lineA != nil {
			*lineA = line() + 2
		}
		_ = a.Lock(ctx)
		_ = p.Time.Sleep(ctx, time.Millisecond)
		return b.Lock(lockCtx(ctx))
	})
	p.Task.Go(ctx, "two", func(ctx context.Context) error {
		if lineB != nil {
			*lineB = line() + 2
		}
		_ = b.Lock(ctx)
		_ = p.Time.Sleep(ctx, time.Millisecond)
		return a.Lock(lockCtx(ctx))
	})
}

// A lock cycle between two tasks fails the run when it forms, even though
// the driver goes on sleeping in a loop until a time far away: the report
// names both tasks, what each waits on and who holds it where, their
// stacks, and the fix.
func TestALockCycleFailsTheRunWhenItFormsWhileOthersRun(t *testing.T) {
	var lineA, lineB int
	world := New(Config{Seed: 1})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		lockOrder(ctx, p, func(ctx context.Context) context.Context { return ctx }, &lineA, &lineB)
		for p.Time.Now().Before(Epoch.Add(time.Hour)) {
			if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
				return err
			}
		}
		return nil
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Deadlock, f.Kind)
	assert.Equal(t, time.Millisecond, f.At, "the cycle is reported when it forms, not when the driver stops")
	assert.Contains(t, f.Msg, "a lock cycle: 2 tasks each wait on a Mutex that the next holds")
	assert.Contains(t, f.Msg, `task "one" waits on mutex lock (held by task "two", which locked it in `)
	assert.Contains(t, f.Msg, fmt.Sprintf("lockcycle_test.go:%d)", lineB))
	assert.Contains(t, f.Msg, `task "two" waits on mutex lock (held by task "one", which locked it in `)
	assert.Contains(t, f.Msg, fmt.Sprintf("lockcycle_test.go:%d)", lineA))
	assert.Contains(t, f.Msg, "lockOrder.func", "each task's stack is told")
	assert.Contains(t, f.Msg, "take the Mutexes in one order in every task")
	assert.NotContains(t, f.Msg, `"driver"`, "the driver, which still runs, is no part of the cycle")
	assert.Contains(t, []string{"one", "two"}, f.Task, "the task whose wait closed the cycle")
	assert.Contains(t, f.Stack, "lockOrder.func")
}

// A wait that gives up by itself (a Lock whose context has a deadline)
// ends the cycle in time: it is no deadlock, and the run goes on.
func TestALockCycleThroughATimedWaitIsNoDeadlock(t *testing.T) {
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	world := New(Config{Seed: 1})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		lockOrder(ctx, p, func(ctx context.Context) context.Context {
			ctx, cancel := p.Time.WithTimeout(ctx, time.Second)
			cancels = append(cancels, cancel)
			return ctx
		}, nil, nil)
		return p.Time.Sleep(ctx, time.Minute)
	})
	require.NoError(t, res.Err)
}

// Three tasks in a ring are a cycle as two are; a task that waits on a
// lock of the ring without being in it is not named.
func TestALockCycleOfThreeNamesItsTasksOnly(t *testing.T) {
	world := New(Config{Seed: 3})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		m := []*providers.Mutex{providers.NewMutex(p.Task), providers.NewMutex(p.Task), providers.NewMutex(p.Task)}
		for i := range 3 {
			p.Task.Go(ctx, fmt.Sprintf("ring%d", i), func(ctx context.Context) error {
				_ = m[i].Lock(ctx)
				_ = p.Time.Sleep(ctx, time.Duration(i+1)*time.Millisecond)
				return m[(i+1)%3].Lock(ctx)
			})
		}
		p.Task.Go(ctx, "bystander", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Millisecond/2)
			return m[0].Lock(ctx)
		})
		return p.Time.Sleep(ctx, time.Hour)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Deadlock, f.Kind)
	assert.Equal(t, 3*time.Millisecond, f.At)
	assert.Equal(t, "ring2", f.Task)
	assert.Contains(t, f.Msg, "a lock cycle: 3 tasks")
	assert.Contains(t, f.Msg, `task "ring2" waits on mutex lock (held by task "ring0"`)
	assert.Contains(t, f.Msg, `task "ring0" waits on mutex lock (held by task "ring1"`)
	assert.Contains(t, f.Msg, `task "ring1" waits on mutex lock (held by task "ring2"`)
	assert.NotContains(t, f.Msg, "bystander")
}

// Tasks that wait in turn on one Mutex form no cycle, however many wait.
func TestTasksQueuedOnOneMutexAreNoCycle(t *testing.T) {
	world := New(Config{Seed: 4})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		var hs []providers.Handle
		for i := range 5 {
			hs = append(hs, p.Task.Go(ctx, fmt.Sprintf("w%d", i), func(ctx context.Context) error {
				if err := m.Lock(ctx); err != nil {
					return err
				}
				defer m.Unlock()
				return p.Time.Sleep(ctx, time.Millisecond)
			}))
		}
		for _, h := range hs {
			if err := h.Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, res.Err)
}

// A Lock given a nil context on a held Mutex panics as any wait with a nil
// context does, naming the fix, not on a nil pointer in the walk for a
// cycle.
func TestALockWithANilContextOnAHeldMutexSaysWhatToPass(t *testing.T) {
	world := New(Config{Seed: 1})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		_ = m.Lock(ctx)
		h := p.Task.Go(ctx, "nil", func(context.Context) error {
			var none context.Context
			return m.Lock(none)
		})
		return h.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	require.Equal(t, Panic, f.Kind)
	assert.Contains(t, f.Msg, "sim: mutex lock with a nil context; pass the task's ctx, or a context made from it")
}

// tokenCycle runs a Mutex used as a token that a third task releases:
// "one" takes the token and then waits on b, which "two" holds while it
// waits for the token; "releaser" unlocks the token for "one" at 5 ms and
// breaks the seeming cycle. With handedBefore, the token has been locked
// by one task and unlocked by another once before.
func tokenCycle(ctx context.Context, p providers.Providers, handedBefore bool) error {
	tok, b := providers.NewMutex(p.Task), providers.NewMutex(p.Task)
	if handedBefore {
		if err := tok.Lock(ctx); err != nil {
			return err
		}
		if err := p.Task.Go(ctx, "returner", func(context.Context) error {
			tok.Unlock()
			return nil
		}).Join(ctx); err != nil {
			return err
		}
	}
	one := p.Task.Go(ctx, "one", func(ctx context.Context) error {
		if err := tok.Lock(ctx); err != nil {
			return err
		}
		_ = p.Time.Sleep(ctx, time.Millisecond)
		if err := b.Lock(ctx); err != nil {
			return err
		}
		b.Unlock()
		return nil
	})
	two := p.Task.Go(ctx, "two", func(ctx context.Context) error {
		if err := b.Lock(ctx); err != nil {
			return err
		}
		defer b.Unlock()
		_ = p.Time.Sleep(ctx, 2*time.Millisecond)
		if err := tok.Lock(ctx); err != nil {
			return err
		}
		tok.Unlock()
		return nil
	})
	rel := p.Task.Go(ctx, "releaser", func(ctx context.Context) error {
		_ = p.Time.Sleep(ctx, 5*time.Millisecond)
		tok.Unlock()
		return nil
	})
	for _, h := range []providers.Handle{one, two, rel} {
		if err := h.Join(ctx); err != nil {
			return err
		}
	}
	return nil
}

// A Mutex that a task has unlocked while another held it is a token,
// which a third task may release: a cycle through it is no deadlock, and
// the run goes on. Before its first such Unlock it is taken for a lock,
// as the Mutex's doc says.
func TestAMutexHandedBetweenTasksLeavesTheLockCycleCheck(t *testing.T) {
	res := New(Config{Seed: 5}).Run(func(ctx context.Context, p providers.Providers) error {
		return tokenCycle(ctx, p, true)
	})
	require.NoError(t, res.Err)

	res = New(Config{Seed: 5}).Run(func(ctx context.Context, p providers.Providers) error {
		return tokenCycle(ctx, p, false)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, "a lock cycle: 2 tasks")
}
