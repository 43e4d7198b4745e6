package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// onParker is how code outside the engine finds OnPark.
type onParker interface{ OnPark(fn func()) }

// OnPark's function runs once, at the first park or yield after it is
// set, before any other task runs; a park that returns at once (its
// context is done) is no park; nil clears it.
func TestOnParkFiresOnceAtTheNextPark(t *testing.T) {
	var log []string
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		hook := p.Task.(onParker)
		note := func(s string) func() { return func() { log = append(log, s) } }

		hook.OnPark(note("sleep"))
		log = append(log, "before")
		done, cancel := context.WithCancel(ctx)
		cancel()
		require.Error(t, p.Time.Sleep(done, time.Second)) // returns at once: not a park
		log = append(log, "cancelled sleep")
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		log = append(log, "slept")
		require.NoError(t, p.Time.Sleep(ctx, time.Second)) // fired already
		log = append(log, "slept again")

		hook.OnPark(note("cleared"))
		hook.OnPark(nil)
		require.NoError(t, p.Time.Sleep(ctx, time.Second))

		hook.OnPark(note("yield"))
		p.Task.Yield(ctx)
		log = append(log, "yielded")
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"before", "cancelled sleep", "sleep", "slept", "slept again", "yield", "yielded"}, log)
}

// A task started by OnPark's function, inside the park, runs while the
// parked task waits, and belongs to the parked task's process; the
// trace is the same on every run.
func TestOnParkStartsATaskThatRunsMeanwhile(t *testing.T) {
	trace := func() (uint64, []string) {
		var log []string
		w := New(Config{Seed: 3})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			g := w.NewGroup("proc")
			h := g.Go(ctx, "first", func(ctx context.Context) error {
				ch := providers.NewChan[int](p.Task, 0)
				p.Task.(onParker).OnPark(func() {
					p.Task.Go(ctx, "second", func(ctx context.Context) error {
						log = append(log, p.Task.(interface{ TaskName() string }).TaskName())
						return ch.Send(ctx, 7)
					})
				})
				v, _, err := ch.Recv(ctx)
				log = append(log, "got", string(rune('0'+v)))
				return err
			})
			return h.Join(ctx)
		})
		require.NoError(t, res.Err)
		return res.Trace, log
	}
	tr1, log := trace()
	tr2, _ := trace()
	assert.Equal(t, []string{"proc/second", "got", "7"}, log)
	assert.Equal(t, tr1, tr2)
}

// A task that returns gives up its turn for good: its OnPark function
// runs then.
func TestOnParkFiresWhenTheTaskReturns(t *testing.T) {
	fired := false
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "short", func(context.Context) error {
			p.Task.(onParker).OnPark(func() { fired = true })
			return nil
		})
		return h.Join(ctx)
	})
	require.NoError(t, res.Err)
	assert.True(t, fired)
}

// An OnPark function that parks fails the seed with the misuse named,
// rather than leaving its task parked for good and a deadlock reported.
func TestOnParkThatParksIsAMisuse(t *testing.T) {
	for name, block := range map[string]func(ctx context.Context, p providers.Providers){
		"sleep": func(ctx context.Context, p providers.Providers) { _ = p.Time.Sleep(ctx, time.Second) },
		"yield": func(ctx context.Context, p providers.Providers) { p.Task.Yield(ctx) },
	} {
		t.Run(name, func(t *testing.T) {
			res := run(1, func(ctx context.Context, p providers.Providers) error {
				ch := providers.NewChan[int](p.Task, 0)
				p.Task.Go(ctx, "sender", func(ctx context.Context) error {
					if err := p.Time.Sleep(ctx, 2*time.Second); err != nil {
						return err
					}
					return ch.Send(ctx, 1)
				})
				p.Task.(onParker).OnPark(func() { block(ctx, p) })
				_, _, err := ch.Recv(ctx)
				return err
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, Panic, f.Kind)
			assert.Contains(t, f.Msg, "OnPark function parked")
			assert.Contains(t, f.Msg, "start a task for work that waits")
		})
	}
}

// SetTaskName names the running task in the timeline, whole, until it is
// set back (nil); the watchdog's name for it, and the trace, stay.
func TestSetTaskNameRenamesTheRunningTask(t *testing.T) {
	type namer interface {
		TaskName() string
		SetTaskName(name *string)
	}
	run := func(rename bool) Result {
		w := New(Config{Seed: 3})
		return w.Run(func(ctx context.Context, p providers.Providers) error {
			g := w.NewGroup("proc")
			h := g.Go(ctx, "reader", func(ctx context.Context) error {
				n := p.Task.(namer)
				if rename {
					handler := "proc/handler"
					n.SetTaskName(&handler)
					assert.Equal(t, "proc/handler", n.TaskName())
				}
				w.Log("served")
				w.Event(w.CurrentTask(), "an event of the handler")
				if rename {
					n.SetTaskName(nil)
				}
				w.Log("read")
				return p.Time.Sleep(ctx, time.Second)
			})
			assert.Equal(t, "proc/reader", h.Name(), "the name it started with")
			return h.Join(ctx)
		})
	}
	res := run(true)
	require.NoError(t, res.Err)
	type stamp struct{ task, process string }
	got := map[string]stamp{}
	for _, e := range res.Timeline {
		got[e.Msg] = stamp{e.Task, e.Process}
	}
	assert.Equal(t, stamp{"proc/handler", "proc"}, got["served"])
	assert.Equal(t, stamp{"proc/handler", "proc"}, got["an event of the handler"], "found in its process by the name it has now")
	assert.Equal(t, stamp{"proc/reader", "proc"}, got["read"])
	assert.Equal(t, run(false).Trace, res.Trace, "task names are not hashed")
}

// A sleep an OnPark function makes is refused before its end is queued:
// an OnPark function that recovers the refusal leaves nothing to wake
// its task from the park it runs in, at the instant the sleep would have
// ended.
func TestARefusedSleepInOnParkLeavesNothingQueued(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		ch := providers.NewChan[int](p.Task, 0)
		p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			return ch.Send(ctx, 7)
		})
		p.Task.(onParker).OnPark(func() {
			defer func() { _ = recover() }()
			_ = p.Time.Sleep(ctx, time.Second)
		})
		v, ok, err := ch.Recv(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, 7, v)
		assert.Equal(t, 2*time.Second, p.Time.Now().Sub(Epoch), "woken by the send, not at 1s")
		return nil
	})
	require.NoError(t, res.Err)
}
