package sim

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// BenchmarkManyWaiters measures a context's cancel while M tasks are
// parked: nine in ten on their own contexts, one in ten on a context of
// its own making (a World.WithCancel, as a call's time-out is), none of
// which ends. Each op starts a task that parks on its own context and
// cancels it: the cancel, the poll that wakes the task, and its end. A
// large cluster parks tens of thousands of tasks and cancels contexts
// at a rate that grows with it: the op's cost must not grow with M.
func BenchmarkManyWaiters(b *testing.B) {
	for _, m := range []int{100, 1000, 10000} {
		b.Run("M="+strconv.Itoa(m), func(b *testing.B) {
			w := New(Config{Seed: 1})
			res := w.Run(func(ctx context.Context, p providers.Providers) error {
				park := func(ctx context.Context) error { _ = p.Time.Sleep(ctx, time.Hour); return nil }
				for i := range m {
					if i%10 == 0 {
						c, cancel := w.WithCancel(ctx)
						defer cancel()
						p.Task.Go(ctx, "derived", func(context.Context) error { return park(c) })
						continue
					}
					p.Task.Go(ctx, "own", park)
				}
				p.Task.Yield(ctx) // every waiter parks
				b.ResetTimer()
				for range b.N {
					h := p.Task.Go(ctx, "cancelled", park)
					p.Task.Yield(ctx)
					h.Cancel()
					_ = h.Join(ctx) // nothing is ready: the poll runs
				}
				b.StopTimer()
				return nil
			})
			if res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	}
}
