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

// A panic raised by a defer of a task that unwinds from its kill (what a
// graceful stop leaves, the end of the run) is the code's, and fails the
// run; the report says that the task was being killed, which its stack
// shows only as the engine's own panic, and by what: a kill at the run's
// end is one the reader would not think of.
func TestAPanicWhileUnwindingAKillSaysSo(t *testing.T) {
	for _, tc := range []struct {
		name, kill string
		runEnd     bool
	}{
		{"its process killed", "the kill of process node at 1s", false},
		{"the run's end", "the kill at the run's end (at 1s the root task returned, and every task still alive is killed)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
				if tc.runEnd {
					return nil
				}
				g.Kill()
				return p.Time.Sleep(ctx, time.Second)
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, Panic, f.Kind)
			assert.Equal(t, "node/main", f.Task)
			assert.Equal(t, "a deferred call panicked while "+tc.kill+` unwound task "node/main": the batch was not committed `+
				"(a killed task's defers run, so a defer must not assume that its function finished)", f.Msg)
		})
	}
}

// A crashed process runs no defers outside a simulation: a panic that one
// of them raises while its task unwinds from the crash does not fail the
// run, whether another task crashed the process or the task itself did.
// The timeline tells it. A panic of a live task of the same process, before
// the crash, still fails the run (TestAPanicWhileUnwindingAKillSaysSo, and
// the run's own tests of a task's panic).
func TestAPanicWhileACrashedTaskUnwindsIsNotedNotFailed(t *testing.T) {
	for _, self := range []bool{false, true} {
		name := "crashed by another task"
		if self {
			name = "crashed by itself"
		}
		t.Run(name, func(t *testing.T) {
			world := New(Config{Seed: 3})
			var after []string
			res := world.Run(func(ctx context.Context, p providers.Providers) error {
				g := world.NewGroup("node")
				g.Go(ctx, "main", func(ctx context.Context) error {
					done := false
					defer func() { after = append(after, "an outer defer") }()
					defer func() {
						if !done {
							panic("the batch was not committed")
						}
					}()
					err := p.Time.Sleep(ctx, time.Second)
					if self {
						g.Crash()
					} else {
						err = p.Time.Sleep(ctx, time.Hour)
					}
					done = true
					return err
				})
				require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
				if !self {
					g.Crash()
				}
				assert.Zero(t, g.Alive())
				return p.Time.Sleep(ctx, time.Second)
			})
			require.NoError(t, res.Err, "a crashed process's defers are not the code's failure")
			assert.Equal(t, []string{"an outer defer"}, after, "the defers below the panic run too")
			at := "1s"
			if !self {
				at = "2s"
			}
			var noted []Entry
			for _, e := range res.Timeline {
				if e.Name == "panic after crash" {
					noted = append(noted, e)
				}
			}
			require.Len(t, noted, 1, "the timeline tells the panic")
			assert.Equal(t, "node/main", noted[0].Task)
			assert.Equal(t, "node", noted[0].Process)
			assert.Equal(t, "panic after crash: the batch was not committed (raised by a deferred call while the task unwound from its process's crash at "+at+
				"; a crashed process runs no defers outside a simulation, so the run goes on)", noted[0].Msg)
		})
	}
}
