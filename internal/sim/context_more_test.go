package sim

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/providers"
)

// moreOpKinds are ctxOpKinds with "done" (Done asked of one context: the
// others are asked only at the end, so that contexts end and are made
// under ended ones with no Done channel yet), package context's
// WithCancelCause and AfterFunc (with "stop", its stop function), and
// context.WithDeadline after the parent's deadline (a cancel context, no
// timer of the wall clock's).
var moreOpKinds = []string{"WithCancel", "WithDeadline", "context.WithCancel", "context.WithValue", "context.WithoutCancel", "cancel", "sleep", "WithDeadlineCancelCause", "WithCancelCause", "cancelCause", "done", "context.WithCancelCause", "AfterFunc", "stop", "context.WithDeadlineLater"}

// A moreOp is a ctxOp of moreOpKinds.
type moreOp struct {
	kind, parent, target int
	d                    time.Duration
}

func (o moreOp) String() string {
	return fmt.Sprintf("%s(parent %d, target %d, %v)", moreOpKinds[o.kind], o.parent, o.target, o.d)
}

// playMore is playCtxOps with Done asked only by the "done" op (and by
// package context as it makes its contexts), package context's
// WithCancelCause, AfterFunc and WithDeadline after the parent's deadline.
func playMore(root context.Context, side ctxSide, ops []moreOp, ran func(int)) []string {
	start := side.now()
	ctxs := []context.Context{root}
	cancels := []context.CancelCauseFunc{func(error) {}}
	type made struct{ under, dl bool }
	how := []made{{}}
	var stops []func() bool
	withCancelCause := context.WithCancelCause // whose cancel is kept for later
	var seen []string
	for i, o := range ops {
		var c context.Context
		cancel := context.CancelCauseFunc(func(error) {})
		plain := func(ctx context.Context, f context.CancelFunc) (context.Context, context.CancelCauseFunc) {
			return ctx, func(error) { f() }
		}
		p := o.parent % len(ctxs)
		parent, m := ctxs[p], how[p]
		switch moreOpKinds[o.kind] {
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
				c, cancel = plain(context.WithCancel(parent))
				m = made{under: true}
			}
		case "context.WithCancelCause":
			if !m.under || !m.dl {
				c, cancel = withCancelCause(parent)
				m = made{under: true}
			}
		case "context.WithDeadlineLater":
			// after the parent's deadline: package context makes a
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
			select {
			case <-ctxs[o.target%len(ctxs)].Done():
			default:
			}
		case "AfterFunc":
			if !m.under || !m.dl {
				i := i
				stops = append(stops, context.AfterFunc(parent, func() { ran(i) }))
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
			seen = append(seen, fmt.Sprintf("after op %d (%v), context %d: err %v, cause %v, deadline %v %v, value %v",
				i, o, j, c.Err(), context.Cause(c), at, ok, c.Value(ctxKey{})))
		}
	}
	// Done last, of every context, as closed or not.
	for j, c := range ctxs {
		closed := false
		select {
		case <-c.Done():
			closed = true
		default:
		}
		seen = append(seen, fmt.Sprintf("at the end, context %d: done %v, cause %v", j, closed, context.Cause(c)))
	}
	for _, cancel := range cancels {
		cancel(nil)
	}
	return seen
}

// The world's contexts behave as package context's with Done asked late
// or never, under package context's WithCancelCause, and with AfterFunc:
// the same errors, causes, deadlines and values after each op, the same
// Done at the end, the same AfterFunc functions run and stop results.
func TestContextsBehaveAsPackageContextsAskedLate(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 16).Draw(rt, "n")
		ops := make([]moreOp, n)
		for i := range ops {
			ops[i] = moreOp{
				kind:   rapid.IntRange(0, len(moreOpKinds)-1).Draw(rt, "kind"),
				parent: i - rapid.IntRange(0, i).Draw(rt, "back"),
				target: rapid.IntRange(0, i).Draw(rt, "target"),
				d:      time.Duration(rapid.IntRange(-2, 6).Draw(rt, "d")) * time.Second,
			}
			if moreOpKinds[ops[i].kind] == "sleep" && ops[i].d < 0 {
				ops[i].d = -ops[i].d
			}
		}
		type ranSet struct {
			mu  sync.Mutex
			ran []int
			wg  sync.WaitGroup
		}
		collect := func(r *ranSet) []int {
			r.mu.Lock()
			defer r.mu.Unlock()
			out := append([]int(nil), r.ran...)
			sort.Ints(out)
			return out
		}
		rooted := rapid.Bool().Draw(rt, "rooted") // under the task's own context, which the run's end ends
		var want []string
		var wantRan, gotRan ranSet
		synctest.Test(t, func(t *testing.T) {
			want = playMore(context.Background(), ctxSide{
				now:          time.Now,
				sleep:        func(d time.Duration) { time.Sleep(d); synctest.Wait() },
				withCancel:   context.WithCancel,
				withDeadline: context.WithDeadline,
				withCause:    withDeadlineCancelCause,
			}, ops, func(i int) { wantRan.mu.Lock(); wantRan.ran = append(wantRan.ran, i); wantRan.mu.Unlock() })
			synctest.Wait()
		})
		var got []string
		w := New(Config{Seed: 1})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			// under WithoutCancel, so that the run's end ends nothing the
			// model looks at after.
			root := context.WithoutCancel(ctx)
			if rooted {
				root = ctx
			}
			got = playMore(root, ctxSide{
				now:          p.Time.Now,
				sleep:        func(d time.Duration) { _ = p.Time.Sleep(context.Background(), d) },
				withCancel:   w.WithCancel,
				withDeadline: p.Time.WithDeadline,
				withCause:    p.Time.(*timeProvider).WithDeadlineCancelCause,
			}, ops, func(i int) { gotRan.mu.Lock(); gotRan.ran = append(gotRan.ran, i); gotRan.mu.Unlock() })
			return nil
		})
		require.NoError(rt, res.Err)
		if diff := cmp.Diff(want, got); diff != "" {
			rt.Fatalf("the world's contexts differ from package context's (-context +world):\n%s", diff)
		}
		if rooted {
			return
		}
		// AfterFunc's functions run on goroutines: give them a moment.
		deadline := time.Now().Add(2 * time.Second)
		for len(collect(&gotRan)) < len(collect(&wantRan)) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if len(collect(&wantRan)) == 0 {
			time.Sleep(time.Millisecond)
		}
		if diff := cmp.Diff(collect(&wantRan), collect(&gotRan)); diff != "" {
			rt.Fatalf("AfterFunc ran differently (-context +world):\n%s", diff)
		}
	})
}
