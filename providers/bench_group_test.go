package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// BenchmarkGroupWaiters measures an instant of simulated time (a task's
// 1 ms sleep) while the 50 tasks of a Group wait on channels, against
// the same tasks started under the caller's own context (x-own-ctx, the
// floor: what the waits cost the world with no context to look at).
// Under a context of package context's the world would look at each
// waiter at every instant.
func BenchmarkGroupWaiters(b *testing.B) {
	instant := func(b *testing.B, group bool) time.Duration {
		var took time.Duration
		res := sim.New(sim.Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
			start := func(name string, fn func(ctx context.Context) error) { p.Task.Go(ctx, name, fn) }
			if group {
				g, gctx := providers.NewGroup(ctx, p.Task)
				defer func() { _ = g.Wait(gctx) }()
				start = g.Go
			}
			chans := make([]*providers.Chan[int], 50)
			for i := range chans {
				chans[i] = providers.NewChan[int](p.Task, 1)
				start("waiter", func(ctx context.Context) error {
					_, _, err := chans[i].Recv(ctx)
					return err
				})
			}
			begin := time.Now()
			for range b.N {
				_ = p.Time.Sleep(ctx, time.Millisecond)
			}
			took = time.Since(begin)
			for _, ch := range chans {
				_ = ch.Send(ctx, 1)
			}
			return nil
		})
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		return took
	}
	var g, own time.Duration
	for range 4 { // alternated, so that a loaded machine weighs on both alike
		g += instant(b, true)
		own += instant(b, false)
	}
	b.ReportMetric(float64(g.Nanoseconds())/float64(4*b.N), "ns/instant")
	b.ReportMetric(g.Seconds()/own.Seconds(), "x-own-ctx")
}
