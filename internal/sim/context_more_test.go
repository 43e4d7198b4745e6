package sim

import (
	"context"
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

// The world's contexts behave as package context's with Done asked late
// or never, under package context's WithCancelCause, and with AfterFunc:
// the same errors, causes, deadlines and values after each op, the same
// Done at the end, the same AfterFunc functions run and stop results.
func TestContextsBehaveAsPackageContextsAskedLate(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ops := drawCtxOps(rt, 16, len(ctxOpKinds))
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
			want = playCtxOps(context.Background(), ctxSide{
				now:          time.Now,
				sleep:        func(d time.Duration) { time.Sleep(d); synctest.Wait() },
				withCancel:   context.WithCancel,
				withDeadline: context.WithDeadline,
				withCause:    withDeadlineCancelCause,
				ran:          func(i int) { wantRan.mu.Lock(); wantRan.ran = append(wantRan.ran, i); wantRan.mu.Unlock() },
			}, ops, true)
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
			got = playCtxOps(root, ctxSide{
				now:          p.Time.Now,
				sleep:        func(d time.Duration) { _ = p.Time.Sleep(context.Background(), d) },
				withCancel:   w.WithCancel,
				withDeadline: p.Time.WithDeadline,
				withCause:    p.Time.(*timeProvider).WithDeadlineCancelCause,
				ran:          func(i int) { gotRan.mu.Lock(); gotRan.ran = append(gotRan.ran, i); gotRan.mu.Unlock() },
			}, ops, true)
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
