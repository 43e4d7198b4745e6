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

// A paused group runs nothing: its sleep's end passes, a value sent to
// it lands, its timer's task starts, but each waits until Resume, when
// all of them run at the resume's instant. The world's other tasks run on.
func TestPausedGroupRunsNothingUntilResumed(t *testing.T) {
	type step struct {
		what string
		at   time.Duration
	}
	var got []step
	world := New(Config{Seed: 5})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		in := providers.NewChan[string](p.Task, 1)
		note := func(what string) { got = append(got, step{what, world.Now()}) }
		g := world.NewGroup("node")
		g.Go(ctx, "sleeper", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			note("slept")
			return nil
		})
		g.Go(ctx, "reader", func(ctx context.Context) error {
			v, _, err := in.Recv(ctx)
			note("read " + v)
			return err
		})
		g.Go(ctx, "timers", func(ctx context.Context) error {
			p.Time.AfterFunc(2*time.Second, func() { note("timer") })
			return nil
		})
		g.Go(ctx, "ready", func(ctx context.Context) error {
			note("ran")
			return nil
		})
		// Every task starts and parks (the timer set), then "late" is
		// started, ready at the Pause, and held with the others.
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
		got = nil
		g.Go(ctx, "late", func(ctx context.Context) error {
			note("late")
			return nil
		})
		g.Pause()
		assert.True(t, g.Paused())
		require.NoError(t, in.Send(ctx, "x"))
		require.NoError(t, p.Time.Sleep(ctx, 3*time.Second))
		assert.Empty(t, got, "no task of a paused group runs")
		assert.Equal(t, 4, g.Alive(), "a paused group's tasks wait, alive")
		g.Resume()
		assert.False(t, g.Paused())
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
		return nil
	})
	require.NoError(t, res.Err)
	resumed := 3*time.Second + time.Millisecond
	want := map[string]time.Duration{"late": resumed, "read x": resumed, "slept": resumed, "timer": resumed}
	have := map[string]time.Duration{}
	for _, s := range got {
		have[s.what] = s.at
	}
	assert.Equal(t, want, have, "every task woken while paused runs at the resume")
}

// A group killed or crashed while paused dies as it stands: its tasks
// unwind, none of them runs again, and the world no longer counts a
// paused group.
func TestPausedGroupDiesWhenKilled(t *testing.T) {
	for _, crash := range []bool{true, false} {
		world := New(Config{Seed: 7})
		var ran, unwound int
		res := world.Run(func(ctx context.Context, p providers.Providers) error {
			g := world.NewGroup("node")
			for range 3 {
				g.Go(ctx, "sleeper", func(ctx context.Context) error {
					defer func() { unwound++ }()
					_ = p.Time.Sleep(ctx, time.Second)
					ran++
					return nil
				})
			}
			require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
			g.Pause()
			require.NoError(t, p.Time.Sleep(ctx, 2*time.Second)) // their sleeps end, held
			if crash {
				g.Crash()
			} else {
				g.Kill()
			}
			assert.False(t, g.Paused())
			assert.Zero(t, world.paused)
			assert.Zero(t, g.Alive())
			g.Resume() // too late: nothing to do
			require.NoError(t, p.Time.Sleep(ctx, time.Second))
			return nil
		})
		require.NoError(t, res.Err)
		assert.Zero(t, ran, "crash=%v: no task of a group killed while paused runs on", crash)
		assert.Equal(t, 3, unwound, "crash=%v", crash)
	}
}

// A task of a paused group killed alone is not resumed by Resume.
func TestResumeSkipsAHeldTaskKilledAlone(t *testing.T) {
	world := New(Config{Seed: 9})
	var ran []string
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node")
		var hs []providers.Handle
		for _, name := range []string{"a", "b"} {
			hs = append(hs, g.Go(ctx, name, func(ctx context.Context) error {
				_ = p.Time.Sleep(ctx, time.Second)
				ran = append(ran, name)
				return nil
			}))
		}
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
		g.Pause()
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
		world.Kill(hs[0])
		g.Resume()
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"b"}, ran)
}

// The same seed pauses the same way: the held tasks go back to the ready
// list in a fixed order, and the trace is the seed's.
func TestPauseIsDeterministic(t *testing.T) {
	run := func() (uint64, []int) {
		var order []int
		world := New(Config{Seed: 11})
		res := world.Run(func(ctx context.Context, p providers.Providers) error {
			g := world.NewGroup("node")
			for i := range 8 {
				g.Go(ctx, "t", func(ctx context.Context) error {
					_ = p.Time.Sleep(ctx, time.Duration(i)*time.Millisecond)
					order = append(order, i)
					return nil
				})
			}
			g.Pause()
			require.NoError(t, p.Time.Sleep(ctx, time.Second))
			g.Resume()
			require.NoError(t, p.Time.Sleep(ctx, time.Second))
			return nil
		})
		require.NoError(t, res.Err)
		return res.Trace, order
	}
	t1, o1 := run()
	t2, o2 := run()
	assert.Equal(t, t1, t2)
	assert.Equal(t, o1, o2)
	assert.Len(t, o1, 8)
}

// A task that a group's task starts with GoUngrouped is in no group: it
// runs while the group is paused, and lives on when the group crashes.
func TestGoUngroupedOutlivesTheCallersGroup(t *testing.T) {
	var steps []string
	world := New(Config{Seed: 5})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node")
		started := providers.NewChan[struct{}](p.Task, 1)
		outer := ctx
		g.Go(ctx, "starter", func(ctx context.Context) error {
			// With a context of its own: the caller's ends with its group.
			world.GoUngrouped(outer, "outside", func(ctx context.Context) error {
				for i := range 3 {
					if err := p.Time.Sleep(ctx, time.Second); err != nil {
						return err
					}
					steps = append(steps, fmt.Sprintf("tick %d in %q", i, world.CurrentProcess()))
				}
				return nil
			})
			_ = started.Send(ctx, struct{}{})
			return p.Time.Sleep(ctx, time.Hour)
		})
		_, _, err := started.Recv(ctx)
		require.NoError(t, err)
		g.Pause()
		require.NoError(t, p.Time.Sleep(ctx, 1500*time.Millisecond))
		g.Crash()
		require.NoError(t, p.Time.Sleep(ctx, 5*time.Second))
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{`tick 0 in ""`, `tick 1 in ""`, `tick 2 in ""`}, steps)
}

// A group armed to pause at a clock read pauses just after one of its
// tasks next reads the time: the read returns the time before the pause,
// and what the task does with it comes after the pause, with no wait of
// the task's own between the two.
func TestPauseAfterClockReadSplitsTheReadFromWhatFollows(t *testing.T) {
	var read, acted, began time.Duration
	world := New(Config{Seed: 3})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("holder")
		g.Go(ctx, "writer", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			read = p.Time.Now().Sub(Epoch)
			acted = world.Now()
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Millisecond))
		g.PauseAfterClockRead(func() {
			began = world.Now()
			assert.True(t, g.Paused(), "the group pauses before started is called")
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		assert.True(t, g.Paused(), "the read at 1s paused the group")
		assert.Zero(t, acted, "the reader has not gone on")
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
		g.Resume()
		return p.Time.Sleep(ctx, time.Millisecond)
	})
	require.NoError(t, res.Err)
	assert.Equal(t, time.Second, read, "the read returns the time it was read")
	assert.Equal(t, time.Second, began)
	assert.Equal(t, 3500*time.Millisecond, acted, "the reader goes on at the resume")
	assert.Zero(t, world.armed)
}

// Disarm takes an arming back before a read takes it, and a group killed
// while armed is armed no longer: neither pauses anything, and the world
// counts no armed group after.
func TestPauseAfterClockReadDisarmedOrKilled(t *testing.T) {
	world := New(Config{Seed: 3})
	var reads []time.Duration
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		reader := func(g *Group) {
			g.Go(ctx, "reader", func(ctx context.Context) error {
				for {
					if err := p.Time.Sleep(ctx, time.Second); err != nil {
						return err
					}
					reads = append(reads, p.Time.Now().Sub(Epoch))
				}
			})
		}
		a, b := world.NewGroup("a"), world.NewGroup("b")
		reader(a)
		reader(b)
		a.PauseAfterClockRead(func() { t.Error("a disarmed group paused") })
		assert.True(t, a.Disarm())
		assert.False(t, a.Disarm(), "a second Disarm finds nothing armed")
		b.PauseAfterClockRead(func() { t.Error("a killed group paused") })
		b.Kill()
		assert.Zero(t, world.armed)
		require.NoError(t, p.Time.Sleep(ctx, 2500*time.Millisecond))
		assert.False(t, a.Paused())
		a.Kill()
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, reads, "a read every second, by a alone")
}

// A task paused at its clock read and killed there dies as it stands: it
// never goes on with the time it read.
func TestPauseAfterClockReadKilledWhilePaused(t *testing.T) {
	world := New(Config{Seed: 3})
	went := false
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("holder")
		g.Go(ctx, "writer", func(ctx context.Context) error {
			_ = p.Time.Now()
			went = true
			return nil
		})
		g.PauseAfterClockRead(func() {})
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		assert.True(t, g.Paused())
		g.Crash()
		assert.Zero(t, g.Alive())
		return p.Time.Sleep(ctx, time.Second)
	})
	require.NoError(t, res.Err)
	assert.False(t, went)
}

// A group armed to pause at an unsynced write pauses just after one of its
// tasks next returns from such a write (UnsyncedWrite, which a disk
// calls), and not at a clock read; one armed at a clock read does not
// pause at a write.
func TestPauseAfterUnsyncedWriteIsAnotherPoint(t *testing.T) {
	world := New(Config{Seed: 3})
	var wrote, acted, began time.Duration
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g, h := world.NewGroup("log"), world.NewGroup("clock")
		g.Go(ctx, "appender", func(ctx context.Context) error {
			for range 2 {
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
				_ = p.Time.Now() // no pause here: g is armed for a write
			}
			wrote = world.Now()
			world.UnsyncedWrite()
			acted = world.Now()
			return nil
		})
		h.Go(ctx, "writer", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			world.UnsyncedWrite() // no pause here: h is armed for a clock read
			return p.Time.Sleep(ctx, time.Hour)
		})
		g.PauseAfterUnsyncedWrite(func() { began = world.Now() })
		h.PauseAfterClockRead(func() { t.Error("a write paused a group armed for a clock read") })
		require.NoError(t, p.Time.Sleep(ctx, 2500*time.Millisecond))
		assert.True(t, g.Paused(), "the write at 2s paused the group")
		assert.Zero(t, acted, "the writer has not gone on")
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		g.Resume()
		assert.True(t, h.Disarm(), "h is armed still")
		h.Kill()
		return p.Time.Sleep(ctx, time.Millisecond)
	})
	require.NoError(t, res.Err)
	assert.Equal(t, 2*time.Second, wrote)
	assert.Equal(t, 2*time.Second, began)
	assert.Equal(t, 3500*time.Millisecond, acted, "the writer goes on at the resume")
	assert.Zero(t, world.armed)
}

// A group armed to pause at a rename of unsynced data passes by plain
// unsynced writes and pauses at the rename (UnsyncedMove), which also
// pauses a group armed for any unsynced write; every such rename counts
// in its group, paused at or not.
func TestPauseAfterUnsyncedMoveWaitsForTheRename(t *testing.T) {
	world := New(Config{Seed: 3})
	var moved, began time.Duration
	var writerMoves int
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g, h := world.NewGroup("compactor"), world.NewGroup("writer")
		g.Go(ctx, "compact", func(ctx context.Context) error {
			for range 3 { // the new file's writes, then its rename
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
				world.UnsyncedWrite()
			}
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			world.UnsyncedMove()
			moved = world.Now()
			return nil
		})
		h.Go(ctx, "renamer", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			world.UnsyncedMove() // takes h's arming for any unsynced change
			return nil
		})
		g.PauseAfterUnsyncedMove(func() { began = world.Now() })
		h.PauseAfterUnsyncedWrite(func() {})
		require.NoError(t, p.Time.Sleep(ctx, 3500*time.Millisecond))
		assert.False(t, g.Paused(), "no write paused the group armed for a rename")
		assert.True(t, h.Paused(), "a rename of unsynced data is an unsynced change")
		assert.Equal(t, 1, h.UnsyncedMoves())
		h.Kill()
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		assert.True(t, g.Paused(), "the rename at 4s paused the group")
		assert.Equal(t, 1, g.UnsyncedMoves())
		g.Resume()
		writerMoves = h.UnsyncedMoves()
		return p.Time.Sleep(ctx, time.Millisecond)
	})
	require.NoError(t, res.Err)
	assert.Equal(t, 4*time.Second, began)
	assert.Equal(t, 4500*time.Millisecond, moved, "the renamer goes on at the resume")
	assert.Equal(t, 1, writerMoves)
	assert.Zero(t, world.armed)
}
