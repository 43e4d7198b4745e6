package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A crashed group's defers run, but every call they make into the
// simulation unwinds them at once: a non-blocking send, a timer, a new
// task, a device's entry point. A killed group's defers act, as a graceful
// stop's leftovers do.
func TestCrashedGroupsDefersActOnNothing(t *testing.T) {
	for _, crash := range []bool{true, false} {
		name := "kill"
		if crash {
			name = "crash"
		}
		t.Run(name, func(t *testing.T) {
			var reached []string
			world := New(Config{Seed: 3})
			res := world.Run(func(ctx context.Context, p providers.Providers) error {
				out := providers.NewChan[string](p.Task, 4)
				g := world.NewGroup("node")
				g.Go(ctx, "main", func(ctx context.Context) error {
					defer func() {
						world.Enter("net close") // a device's entry point, as conn.Close's
						reached = append(reached, "after the device")
					}()
					defer func() {
						p.Time.AfterFunc(time.Second, func() { _ = out.TrySend("timer") })
						reached = append(reached, "after the timer")
					}()
					defer func() {
						p.Task.Go(ctx, "late", func(context.Context) error { return out.Send(ctx, "task") })
						reached = append(reached, "after the task")
					}()
					defer func() {
						_ = out.TrySend("send")
						reached = append(reached, "after the send")
					}()
					return p.Time.Sleep(ctx, time.Hour)
				})
				require.NoError(t, p.Time.Sleep(ctx, time.Second))
				if crash {
					g.Crash()
				} else {
					g.Kill()
				}
				require.NoError(t, p.Time.Sleep(ctx, time.Minute))
				var got []string
				for {
					v, ok, ready := out.TryRecv()
					if !ok || !ready {
						break
					}
					got = append(got, v)
				}
				if crash {
					assert.Empty(t, got, "nothing a crashed process's defers do reaches the world")
					assert.Empty(t, reached, "each defer stops at its first call into the simulation")
				} else {
					assert.Equal(t, []string{"send"}, got, "a killed group's defers act (its new task and timer: the group is dead)")
					// Starting a task from a killed task unwinds it in either case.
					assert.Equal(t, []string{"after the send", "after the timer", "after the device"}, reached)
				}
				return nil
			})
			require.NoError(t, res.Err)
		})
	}
}

// A Mutex handed to a task of a crashed group that had not yet run is
// handed on as the task unwinds: that is the Mutex's own bookkeeping, not
// the dead process's code acting.
func TestAMutexHandedToACrashedTaskIsHandedOn(t *testing.T) {
	world := New(Config{Seed: 4})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(ctx))
		g := world.NewGroup("node")
		g.Go(ctx, "main", func(ctx context.Context) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			t.Error("the task ran after its group crashed")
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond)) // it waits for m
		next := p.Task.Go(ctx, "next", func(ctx context.Context) error {
			lctx, cancel := p.Time.WithTimeout(ctx, time.Second)
			defer cancel()
			return m.Lock(lctx) // queued behind it
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
		m.Unlock() // m is handed to the node's task
		g.Crash()
		return next.Join(ctx)
	})
	require.NoError(t, res.Err)
}

// A panic raised by a defer of a task that unwinds from its kill is the
// code's, and fails the run; the report says that the task was being
// killed, which its stack shows only as the engine's own panic.
func TestAPanicWhileUnwindingAKillSaysSo(t *testing.T) {
	world := New(Config{Seed: 3})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node")
		g.Go(ctx, "main", func(ctx context.Context) error {
			done := false
			defer func() {
				if !done {
					panic("the batch was not committed")
				}
			}()
			err := p.Time.Sleep(ctx, time.Hour)
			done = true
			return err
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		g.Crash()
		return p.Time.Sleep(ctx, time.Second)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Panic, f.Kind)
	assert.Equal(t, "node/main", f.Task)
	assert.Equal(t, "the batch was not committed (raised by a deferred call while the task unwound from its kill at 1s: "+
		"a killed task's defers run, so a defer must not assume that its function finished)", f.Msg)
}
