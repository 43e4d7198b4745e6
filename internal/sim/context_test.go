package sim

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/providers"
)

// A ctxOp makes a context under an earlier one, cancels one, or lets time
// pass. The same ops are played on the world's contexts and on package
// context's in a synctest bubble, whose clock is as exact as simulated
// time; every context must then look the same.
type ctxOp struct {
	kind   int           // see ctxOpKinds
	parent int           // for the kinds that make a context: its parent
	target int           // for cancel: the context cancelled
	d      time.Duration // for deadline: from now; for sleep: how long
}

// ctxOpKinds are the kinds of ctxOp. The first basicCtxOps are those of
// a play that asks every context for its Done channel after each op; the
// rest are for a late play (playCtxOps): "done" asks one context for its
// Done channel, so that contexts end, and are made under ended ones, with
// no Done channel yet; package context's WithCancelCause and AfterFunc
// (with "stop", its stop function); and context.WithDeadline after the
// parent's deadline (a cancel context, no timer of the wall clock's).
var ctxOpKinds = []string{"WithCancel", "WithDeadline", "context.WithCancel", "context.WithValue", "context.WithoutCancel", "cancel", "sleep", "WithDeadlineCancelCause", "WithCancelCause", "cancelCause",
	"done", "context.WithCancelCause", "AfterFunc", "stop", "context.WithDeadlineLater"}

const basicCtxOps = 10

func (o ctxOp) String() string {
	return fmt.Sprintf("%s(parent %d, target %d, %v)", ctxOpKinds[o.kind], o.parent, o.target, o.d)
}

// drawCtxOps draws up to most ops of the first kinds of ctxOpKinds.
func drawCtxOps(rt *rapid.T, most, kinds int) []ctxOp {
	n := rapid.IntRange(1, most).Draw(rt, "n")
	ops := make([]ctxOp, n)
	for i := range ops {
		ops[i] = ctxOp{
			kind:   rapid.IntRange(0, kinds-1).Draw(rt, "kind"),
			parent: i - rapid.IntRange(0, i).Draw(rt, "back"), // mostly recent ones
			target: rapid.IntRange(0, i).Draw(rt, "target"),
			d:      time.Duration(rapid.IntRange(-2, 6).Draw(rt, "d")) * time.Second,
		}
		if ctxOpKinds[ops[i].kind] == "sleep" && ops[i].d < 0 {
			ops[i].d = -ops[i].d
		}
	}
	return ops
}

// ctxSide is how one side makes its contexts.
type ctxSide struct {
	now          func() time.Time
	sleep        func(time.Duration)
	withCancel   func(context.Context) (context.Context, context.CancelFunc)
	withDeadline func(context.Context, time.Time) (context.Context, context.CancelFunc)
	// withCause is WithDeadlineCancelCause: no deadline when zero.
	withCause func(context.Context, time.Time) (context.Context, context.CancelCauseFunc)
	// ran is told which op's AfterFunc function ran.
	ran func(op int)
}

// withDeadlineCancelCause is, in package context's contexts, what the
// world's WithDeadlineCancelCause makes: a deadline under a cancel
// context whose cancel takes a cause.
func withDeadlineCancelCause(parent context.Context, deadline time.Time) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	if deadline.IsZero() {
		return ctx, cancel
	}
	ctx, stop := context.WithDeadline(ctx, deadline)
	return ctx, func(cause error) { cancel(cause); stop() }
}

type ctxKey struct{}

// playCtxOps plays ops from root and describes every context after each:
// with whether it is done, asked of its Done channel, or, late, without,
// and its Done channel asked only by the "done" op and of every context
// at the end.
//
// Package context's contexts are not made where the world's differ from
// package context's on purpose: under a context of the world's whose
// deadline (or a deadline above it, up to the nearest context of package
// context's) passes, and that is itself under one of package context's,
// package context's contexts end with Canceled and the cause
// DeadlineExceeded, as they did when the world made a cancel context of
// package context's for such a deadline.
func playCtxOps(root context.Context, side ctxSide, ops []ctxOp, late bool) []string {
	start := side.now()
	ctxs := []context.Context{root}
	cancels := []context.CancelCauseFunc{func(error) {}}
	// under: made under a context of package context's; dl: with a
	// deadline of the world's since the nearest such context.
	type made struct{ under, dl bool }
	how := []made{{}}
	var stops []func() bool
	// Whose cancel is kept for later.
	withCancel, withCancelCause := context.WithCancel, context.WithCancelCause
	plain := func(ctx context.Context, f context.CancelFunc) (context.Context, context.CancelCauseFunc) {
		return ctx, func(error) { f() }
	}
	doneOf := func(c context.Context) bool {
		select {
		case <-c.Done():
			return true
		default:
			return false
		}
	}
	var seen []string
	for i, o := range ops {
		var c context.Context
		cancel := context.CancelCauseFunc(func(error) {})
		p := o.parent % len(ctxs)
		parent, m := ctxs[p], how[p]
		switch ctxOpKinds[o.kind] {
		case "WithCancel":
			c, cancel = plain(side.withCancel(parent))
		case "WithDeadline":
			c, cancel = plain(side.withDeadline(parent, side.now().Add(o.d)))
			m.dl = true
		case "WithDeadlineCancelCause":
			c, cancel = side.withCause(parent, side.now().Add(o.d))
			m.dl = true
		case "WithCancelCause":
			c, cancel = side.withCause(parent, time.Time{})
		case "context.WithCancel":
			if !m.under || !m.dl {
				c, cancel = plain(withCancel(parent))
				m = made{under: true}
			}
		case "context.WithCancelCause":
			if !m.under || !m.dl {
				c, cancel = withCancelCause(parent)
				m = made{under: true}
			}
		case "context.WithDeadlineLater":
			// After the parent's deadline: package context makes a
			// cancel context, and no timer of the wall clock's.
			if dl, ok := parent.Deadline(); ok && (!m.under || !m.dl) {
				c, cancel = plain(context.WithDeadline(parent, dl.Add(time.Second)))
				m = made{under: true}
			}
		case "context.WithValue":
			c = context.WithValue(parent, ctxKey{}, i)
		case "context.WithoutCancel":
			c = context.WithoutCancel(parent)
			m = made{}
		case "cancel":
			cancels[o.target%len(cancels)](nil)
		case "cancelCause":
			cancels[o.target%len(cancels)](fmt.Errorf("cause %d", i))
		case "done":
			doneOf(ctxs[o.target%len(ctxs)])
		case "AfterFunc":
			if !m.under || !m.dl {
				stops = append(stops, context.AfterFunc(parent, func() { side.ran(i) }))
			}
		case "stop":
			if len(stops) > 0 {
				seen = append(seen, fmt.Sprintf("op %d: stop %v", i, stops[o.target%len(stops)]()))
			}
		case "sleep":
			side.sleep(o.d)
		}
		if c != nil {
			ctxs, cancels, how = append(ctxs, c), append(cancels, cancel), append(how, m)
		}
		for j, c := range ctxs {
			dl, ok := c.Deadline()
			at := time.Duration(0)
			if ok {
				at = dl.Sub(start)
			}
			done := ""
			if !late {
				done = fmt.Sprintf(", done %v", doneOf(c))
			}
			seen = append(seen, fmt.Sprintf("after op %d (%v), context %d: err %v, cause %v, deadline %v %v%s, value %v",
				i, o, j, c.Err(), context.Cause(c), at, ok, done, c.Value(ctxKey{})))
		}
	}
	if late {
		for j, c := range ctxs {
			seen = append(seen, fmt.Sprintf("at the end, context %d: done %v, cause %v", j, doneOf(c), context.Cause(c)))
		}
	}
	for _, cancel := range cancels {
		cancel(nil)
	}
	return seen
}

// The world's contexts (its cancel contexts and the Time provider's
// deadlines, and package context's contexts made under them) behave as
// package context's own: the same errors, causes, deadlines, Done
// channels and values, whatever the order of making, cancelling and
// waiting.
func TestContextsBehaveAsPackageContexts(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ops := drawCtxOps(rt, 12, basicCtxOps)
		var want []string
		synctest.Test(t, func(t *testing.T) {
			want = playCtxOps(context.Background(), ctxSide{
				now:          time.Now,
				sleep:        func(d time.Duration) { time.Sleep(d); synctest.Wait() },
				withCancel:   context.WithCancel,
				withDeadline: context.WithDeadline,
				withCause:    withDeadlineCancelCause,
			}, ops, false)
		})
		var got []string
		w := New(Config{Seed: 1})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			got = playCtxOps(ctx, ctxSide{
				now:          p.Time.Now,
				sleep:        func(d time.Duration) { _ = p.Time.Sleep(context.Background(), d) },
				withCancel:   w.WithCancel,
				withDeadline: p.Time.WithDeadline,
				withCause:    p.Time.(*timeProvider).WithDeadlineCancelCause,
			}, ops, false)
			return nil
		})
		require.NoError(rt, res.Err)
		if diff := cmp.Diff(want, got); diff != "" {
			rt.Fatalf("the world's contexts differ from package context's (-context +world):\n%s", diff)
		}
	})
}

// Each way a context can end, as package context has it, in one table:
// the error, the cause, and the children's.
func TestContextEnds(t *testing.T) {
	cause := errors.New("the group failed")
	cases := []struct {
		name string
		// end makes a context under parent and ends it, with p's help.
		end       func(parent context.Context, w *World, p providers.Providers) context.Context
		err, want error // want is the cause
	}{{
		name: "cancelled",
		end: func(parent context.Context, w *World, p providers.Providers) context.Context {
			c, cancel := w.WithCancel(parent)
			cancel()
			return c
		},
		err: context.Canceled, want: context.Canceled,
	}, {
		name: "deadline passed",
		end: func(parent context.Context, w *World, p providers.Providers) context.Context {
			c, cancel := p.Time.WithTimeout(parent, time.Second)
			defer cancel()
			_ = p.Time.Sleep(parent, 2*time.Second)
			return c
		},
		err: context.DeadlineExceeded, want: context.DeadlineExceeded,
	}, {
		name: "deadline already past",
		end: func(parent context.Context, w *World, p providers.Providers) context.Context {
			c, cancel := p.Time.WithDeadline(parent, p.Time.Now().Add(-time.Second))
			defer cancel()
			return c
		},
		err: context.DeadlineExceeded, want: context.DeadlineExceeded,
	}, {
		name: "deadline cancelled",
		end: func(parent context.Context, w *World, p providers.Providers) context.Context {
			c, cancel := p.Time.WithTimeout(parent, time.Second)
			cancel()
			return c
		},
		err: context.Canceled, want: context.Canceled,
	}, {
		name: "parent's deadline passed",
		end: func(parent context.Context, w *World, p providers.Providers) context.Context {
			d, cancel := p.Time.WithTimeout(parent, time.Second)
			defer cancel()
			c, cancelC := w.WithCancel(d)
			defer cancelC()
			_ = p.Time.Sleep(parent, 2*time.Second)
			return c
		},
		err: context.DeadlineExceeded, want: context.DeadlineExceeded,
	}, {
		name: "under a cancelled cause, WithoutCancel",
		end: func(parent context.Context, w *World, p providers.Providers) context.Context {
			g, cancelG := context.WithCancelCause(parent)
			cancelG(cause)
			c, cancel := w.WithCancel(context.WithoutCancel(g))
			cancel()
			return c
		},
		err: context.Canceled, want: context.Canceled,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := New(Config{Seed: 1})
			res := w.Run(func(ctx context.Context, p providers.Providers) error {
				made := c.end(ctx, w, p)
				_, isOwn := made.(*simContext)
				assert.True(t, isOwn, "the world made the context")
				child, cancel := context.WithCancel(made)
				defer cancel()
				for _, x := range []context.Context{made, child} {
					assert.Equal(t, c.err, x.Err())
					assert.Equal(t, c.want, context.Cause(x))
					select {
					case <-x.Done():
					default:
						t.Error("Done is not closed")
					}
				}
				return nil
			})
			require.NoError(t, res.Err)
		})
	}
}

// Package context makes its own contexts under the world's, and under a
// context.WithValue of one, as under its own: they need no goroutine (one
// would end them some time after their parent, and outlive the run), end
// with their parent, and leave it when cancelled.
func TestPackageContextsUnderTheWorlds(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		parent, cancel := p.Time.WithTimeout(ctx, time.Hour)
		wrapped := context.WithValue(parent, ctxKey{}, 1)
		var children []context.Context
		for range 10 {
			a, cancelA := context.WithCancel(parent)
			b, cancelB := context.WithTimeout(wrapped, 2*time.Hour)
			defer cancelA()
			defer cancelB()
			children = append(children, a, b)
			context.AfterFunc(wrapped, func() {})
		}
		// Counting goroutines would see any other goroutine of the
		// process end meanwhile: look for package context's own.
		assert.NotContains(t, allStacks(), "created by context.", "package context started goroutines")
		left, cancelLeft := context.WithCancel(wrapped)
		cancelLeft()
		assert.Equal(t, context.Canceled, left.Err())
		assert.NoError(t, parent.Err(), "a child's cancel leaves its parent alone")
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Hour))
		for _, c := range children {
			assert.Equal(t, context.DeadlineExceeded, c.Err(), "a child ends with its parent, at once")
			assert.Equal(t, context.DeadlineExceeded, context.Cause(c))
		}
		cancel()
		return nil
	})
	require.NoError(t, res.Err)
}

// A context of the world makes its Done channel only when asked, closed
// if the context is done already, and answers a context made by package
// context under another world's contexts with its own kind only for its
// own world.
func TestContextDoneIsMadeWhenAsked(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		c, cancel := p.Time.WithTimeout(ctx, time.Second)
		sc := c.(*simContext)
		assert.Nil(t, sc.extra.Load(), "no channel until Done")
		cancel()
		select {
		case <-c.Done():
		default:
			t.Error("Done of a cancelled context is not closed")
		}
		assert.Equal(t, "sim.Context", fmt.Sprint(c))
		v := context.WithValue(ctx, ctxKey{}, 1)
		assert.True(t, w.isOwned(v, "a wait"), "a context that adds a value to the world's is owned")
		other := New(Config{Seed: 2})
		assert.False(t, other.isOwned(ctx, "a wait"), "another world's context is not one of this world's")
		return nil
	})
	require.NoError(t, res.Err)
}

// A context of the world's may be handed to a goroutine outside the
// simulation before the run starts: its Done, asked there, races nothing
// the world does as it starts. Run under -race.
func TestContextDoneOutsideTheRun(t *testing.T) {
	w := New(Config{Seed: 1})
	c, cancel := w.WithCancel(w.Context())
	defer cancel()
	ended := make(chan struct{})
	go func() {
		<-c.Done()
		close(ended)
	}()
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		return p.Time.Sleep(ctx, time.Second)
	})
	require.NoError(t, res.Err)
	<-ended // the run's end ends the world's contexts
	assert.Equal(t, context.Canceled, c.Err())
}

// The key package context asks its parents for their cancel context is
// found by asking Cause: should a later Go ask otherwise, the world's
// contexts would no longer hand their cause on, and this says why.
func TestCancelCtxKeyIsPackageContexts(t *testing.T) {
	require.NotNil(t, cancelCtxKey, "context.Cause no longer asks its context's Value for package context's key")
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	assert.Same(t, c, c.Value(cancelCtxKey), "a cancel context answers the key with itself")
}

// allStacks returns the stacks of every goroutine of the process.
func allStacks() string {
	buf := make([]byte, 1<<16)
	for {
		if n := runtime.Stack(buf, true); n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
