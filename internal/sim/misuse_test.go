package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A nil function or a nil context is a programmer error, told at the call
// that made it with the fix, not as a nil dereference inside the engine
// (or, for a nil function, in a task of its own, far from the call).
func TestNilFunctionsAndContextsAreToldAtTheCall(t *testing.T) {
	cases := []struct {
		name string
		call func(ctx context.Context, p providers.Providers)
		msg  string
	}{
		{"Task.Go nil function", func(ctx context.Context, p providers.Providers) {
			p.Task.Go(ctx, "worker", nil)
		}, `sim: task "worker" started with a nil function; pass the function the task runs`},
		{"AfterFunc nil function", func(ctx context.Context, p providers.Providers) {
			p.Time.AfterFunc(time.Second, nil)
		}, "sim: Time.AfterFunc with a nil function; pass the function to call when the time comes"},
		{"Task.Go nil context", func(ctx context.Context, p providers.Providers) {
			p.Task.Go(nil, "worker", func(context.Context) error { return nil }) //nolint:staticcheck // the misuse under test
		}, "sim: a task or a deadline made from a nil context (Task.Go, Time.WithDeadline, Time.WithTimeout); pass the task's ctx, or a context made from it"},
		{"WithTimeout nil context", func(ctx context.Context, p providers.Providers) {
			p.Time.WithTimeout(nil, time.Second) //nolint:staticcheck,govet // the misuse under test
		}, "sim: a task or a deadline made from a nil context (Task.Go, Time.WithDeadline, Time.WithTimeout); pass the task's ctx, or a context made from it"},
		{"Sleep nil context", func(ctx context.Context, p providers.Providers) {
			_ = p.Time.Sleep(nil, time.Second) //nolint:staticcheck // the misuse under test
		}, "sim: sleep with a nil context; pass the task's ctx, or a context made from it"},
		{"Join nil context", func(ctx context.Context, p providers.Providers) {
			h := p.Task.Go(ctx, "worker", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Second) })
			_ = h.Join(nil) //nolint:staticcheck // the misuse under test
		}, "sim: task join with a nil context; pass the task's ctx, or a context made from it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(1, func(ctx context.Context, p providers.Providers) error {
				c.call(ctx, p)
				return p.Time.Sleep(ctx, 2*time.Second)
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, Panic, f.Kind)
			assert.Equal(t, "driver", f.Task, "the panic is the calling task's")
			assert.Equal(t, c.msg, f.Msg)
			assert.Contains(t, f.Stack, "misuse_test.go", "the stack holds the call")
		})
	}
}

// A wait outside any task names where it was called from: code the
// scheduler runs between steps (an event's callback, a check), or before
// the run. It is no goroutine of the user's: such a call is a stray, and
// told as one (stray.go).
func TestAWaitOutsideAnyTaskSaysWhereItWas(t *testing.T) {
	w := New(Config{Seed: 1})
	p := w.Providers()
	assert.PanicsWithValue(t, "sim: Sleep before the simulation began; only its tasks may wait on it: call it from the body or a task it starts",
		func() { _ = p.Time.Sleep(context.Background(), time.Second) })
	var got any
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		w.After(time.Second, func() {
			defer func() { got = recover() }()
			_ = p.Time.Sleep(ctx, time.Second)
		})
		return p.Time.Sleep(ctx, 2*time.Second)
	})
	require.NoError(t, res.Err)
	assert.Equal(t, "sim: Sleep outside any task, in code the scheduler runs between steps (an Invariant's or an Eventually's check, "+
		"an event's callback), which must not wait: wait in a task (p.Task.Go starts one)", got)
}

// otherHandle is a Handle no world made.
type otherHandle struct{ providers.Handle }

// Kill of a handle that is not one of the world's tasks is told at the
// call, with the fix, not done to another world's task, or turned into a
// bare type assertion's panic.
func TestKillOfAHandleOfAnotherWorldIsToldAtTheCall(t *testing.T) {
	var other providers.Handle
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		other = p.Task.Go(ctx, "worker", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Second) })
		return other.Join(ctx)
	})
	require.NoError(t, res.Err)
	for _, c := range []struct {
		name string
		h    providers.Handle
		msg  string
	}{
		{"another world's task", other, `sim: Kill of task "worker" of another world, not a task of this world; pass a Handle that this world's Task provider returned`},
		{"a handle of no world", otherHandle{}, "sim: Kill of a sim.otherHandle, not a task of this world; pass a Handle that this world's Task provider returned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := New(Config{Seed: 1})
			res := w.Run(func(ctx context.Context, p providers.Providers) error {
				w.Kill(c.h)
				return nil
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, Panic, f.Kind)
			assert.Equal(t, c.msg, f.Msg)
		})
	}
}
