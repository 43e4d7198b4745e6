package sim

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A task that found its context open when it last parked, and whose context
// is cancelled while it is not parked, must see the cancellation when it
// parks again: park skips the look at the context's channel only when the
// simulation cancelled nothing since. Each case cancels the task's context
// in its own way at 2s, while the task waits on another context until 3s.
func TestParkSeesItsContextCancelledWhileAwayFromIt(t *testing.T) {
	cases := []struct {
		name string
		// start starts fn as a task and returns what cancels its context
		// at 2s, and what to call when the run is done.
		start func(w *World, ctx context.Context, p providers.Providers, fn func(context.Context) error) (cancel, done func())
		// want is the error of the task's context, as package context
		// has it: a deadline's children end with DeadlineExceeded.
		want error
	}{{
		name: "Handle.Cancel",
		start: func(w *World, ctx context.Context, p providers.Providers, fn func(context.Context) error) (func(), func()) {
			return p.Task.Go(ctx, "waiter", fn).Cancel, func() {}
		},
		want: context.Canceled,
	}, {
		name: "the parent's cancel",
		start: func(w *World, ctx context.Context, p providers.Providers, fn func(context.Context) error) (func(), func()) {
			parent, cancel := w.WithCancel(ctx)
			p.Task.Go(parent, "waiter", fn)
			return cancel, func() {}
		},
		want: context.Canceled,
	}, {
		name: "the parent's deadline",
		start: func(w *World, ctx context.Context, p providers.Providers, fn func(context.Context) error) (func(), func()) {
			parent, cancel := p.Time.WithTimeout(ctx, 2*time.Second)
			p.Task.Go(parent, "waiter", fn)
			return func() {}, cancel // the deadline passes by itself
		},
		want: context.DeadlineExceeded,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := New(Config{Seed: 1})
			var got error
			var at time.Duration
			res := w.Run(func(ctx context.Context, p providers.Providers) error {
				waiter := func(ctx context.Context) error {
					require.NoError(t, p.Time.Sleep(ctx, time.Second), "the context is open at 1s")
					require.NoError(t, p.Time.Sleep(context.WithoutCancel(ctx), 2*time.Second))
					got = p.Time.Sleep(ctx, time.Hour)
					at = w.Now()
					return nil
				}
				cancel, done := c.start(w, ctx, p, waiter)
				defer done()
				require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
				cancel()
				return p.Time.Sleep(ctx, 2*time.Second)
			})
			require.NoError(t, res.Err)
			assert.ErrorIs(t, got, c.want)
			assert.Equal(t, 3*time.Second, at, "the sleep on the cancelled context returned at once")
		})
	}
}

// valueCtx is a context of a value type: each conversion to
// context.Context boxes a copy.
type valueCtx struct{ context.Context }

// A wait on a context that is the task's own by value but not by identity
// (sameCtx tells them apart) takes the general path: it sleeps, and ends
// when the context is cancelled.
func TestParkOnAContextOfAValueType(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		var got error
		h := p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			require.NoError(t, p.Time.Sleep(valueCtx{ctx}, time.Second))
			got = p.Time.Sleep(valueCtx{ctx}, time.Hour)
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
		h.Cancel()
		require.NoError(t, h.Join(ctx))
		assert.ErrorIs(t, got, context.Canceled)
		assert.Equal(t, 2*time.Second, p.Time.Now().Sub(Epoch))
		return nil
	})
	require.NoError(t, res.Err)
}

// Only the task's own context is taken to be open without a look: another
// context the simulation owns may have been done before the task last
// found its own open, and a wait on it returns at once.
func TestParkLooksAtAnotherContextDoneBefore(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		other, cancel := p.Time.WithTimeout(ctx, time.Second)
		defer cancel()
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second)) // other is done at 1s
		require.NoError(t, p.Time.Sleep(ctx, time.Second))   // its own context found open since
		assert.ErrorIs(t, p.Time.Sleep(other, time.Hour), context.DeadlineExceeded)
		assert.Equal(t, 3*time.Second, p.Time.Now().Sub(Epoch), "the wait on a done context returned at once")
		return nil
	})
	require.NoError(t, res.Err)
}

// A sleep on the task's own context parks from Sleep itself: a resume
// returns through as few frames as it can, each a stretch of cold stack.
// Sleeps after a cancellation of another context take the general path,
// and a cancellation of the task's own still ends its sleep.
func TestSleepParksFromSleep(t *testing.T) {
	w := New(Config{Seed: 1})
	var stack string
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		var got error
		h := p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			require.NoError(t, p.Time.Sleep(ctx, time.Second)) // finds its context open
			require.NoError(t, p.Time.Sleep(ctx, time.Second))
			require.NoError(t, p.Time.Sleep(ctx, time.Second)) // after another's cancel
			got = p.Time.Sleep(ctx, time.Hour)
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 1500*time.Millisecond))
		stack = stacks()[h.(*task).wk.label]
		o := p.Task.Go(ctx, "other", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		o.Cancel()
		require.ErrorIs(t, o.Join(ctx), context.Canceled)
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
		h.Cancel()
		require.NoError(t, h.Join(ctx))
		assert.ErrorIs(t, got, context.Canceled)
		assert.Equal(t, 3500*time.Millisecond, p.Time.Now().Sub(Epoch))
		return nil
	})
	require.NoError(t, res.Err)
	var fns []string
	for _, line := range strings.Split(stack, "\n") {
		if !strings.HasPrefix(line, "\t") {
			fns = append(fns, line)
		}
	}
	i := slices.IndexFunc(fns, func(fn string) bool { return strings.HasPrefix(fn, "iter.Pull") })
	require.GreaterOrEqual(t, i, 0, "the sleeper's stack:\n%s", stack)
	require.Greater(t, len(fns), i+2, "the sleeper's stack:\n%s", stack)
	assert.Equal(t, "github.com/moonpool-go/moonpool/internal/sim.(*timeProvider).Sleep", fns[i+1], "the sleeper's stack:\n%s", stack)
	assert.Contains(t, fns[i+2], "TestSleepParksFromSleep", "the sleeper's stack:\n%s", stack)
}

// A wait token names its task's slot, which a later task takes once the
// task has ended. The token of the ended task's last wait must wake
// nothing then, whatever the later task waits on: it parks here at the
// same point in its own life as the first did in its, on a token that
// would be equal if the generations started over in each task.
func TestAWaitTokenOfAnEndedTaskWakesNoLaterTask(t *testing.T) {
	var stale providers.WaitToken
	var woken bool
	var secondErr error
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		tp := p.Task.(Parker)
		parkOnce := func(ctx context.Context) error {
			tok := tp.WaitToken()
			if stale == 0 {
				stale = tok
			}
			return tp.Park(ctx, tok, "a wake-up that comes by its token")
		}
		first := p.Task.Go(ctx, "first", parkOnce)
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		require.True(t, tp.Wake(stale), "the first task waits on its token")
		require.NoError(t, first.Join(ctx))

		wctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		defer cancel()
		second := p.Task.Go(wctx, "second", parkOnce)
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
		woken = tp.Wake(stale)
		secondErr = second.Join(ctx)
		return nil
	})
	require.NoError(t, res.Err)
	assert.False(t, woken, "the ended task's token woke a later task")
	assert.ErrorIs(t, secondErr, context.DeadlineExceeded, "the later task waits until its deadline")
}

// A sleep on a context that has ended returns its error at once, and its
// end is not left queued: at the instant it was due it would wake the task
// from whatever it waits on then, a wait that no one ended (a receive
// whose Park returned nil with nothing sent).
func TestASleepOnAnEndedContextLeavesNothingQueued(t *testing.T) {
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		ended, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, p.Time.Sleep(ended, time.Second), context.Canceled)
		ch := providers.NewChan[int](p.Task, 0)
		p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			return ch.Send(ctx, 7)
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
