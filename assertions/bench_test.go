package assertions_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
	"github.com/moonpool-go/moonpool/providers"
)

// inSimulation runs f as the root task of a world whose assertions go to a
// book, as simtest wires them.
func inSimulation(b *testing.B, f func(ctx context.Context)) {
	b.Helper()
	w := sim.New(sim.Config{Seed: 1})
	seed := tally.New(nil).Begin(1, w, tally.Hooks{Fail: func(msg string, _ []any) { b.Error(msg) }})
	w.SetAsserter(seed)
	res := w.Run(func(ctx context.Context, _ providers.Providers) error {
		// A context one level below the task's, as code under test has.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		f(ctx)
		return nil
	})
	if res.Err != nil {
		b.Fatal(res.Err)
	}
}

type key struct{}

// sink keeps the floor's lookups from being optimized away.
var sink any

// withFloor runs op b.N times, in rounds that alternate with as many
// lookups of a key ctx does not hold: the floor, what any call that asks a
// context costs. It reports the median of the rounds' ratios, so that a
// noisy neighbour weighs on both sides.
func withFloor(b *testing.B, ctx context.Context, op func(i int)) {
	const rounds = 16
	var ratios []float64
	b.ResetTimer()
	done := 0
	for r := range rounds {
		n := (b.N - done) / (rounds - r)
		b.StopTimer()
		start := time.Now()
		for range n {
			sink = ctx.Value(key{})
		}
		floor := time.Since(start)
		b.StartTimer()
		start = time.Now()
		for i := range n {
			op(done + i)
		}
		took := time.Since(start)
		done += n
		if n > 0 && floor > 0 {
			ratios = append(ratios, float64(took)/float64(floor))
		}
	}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "x-ctx-lookup")
	}
}

// BenchmarkAlways measures an Always already seen and passing, the hot
// path of an assertion: outside a simulation (production), and in one;
// with and without details.
func BenchmarkAlways(b *testing.B) {
	b.Run("outside", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ReportAllocs()
		withFloor(b, ctx, func(i int) {
			assertions.Always(ctx, i >= 0, "i is never negative")
		})
	})
	b.Run("outside-details", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			assertions.Always(ctx, i >= 0, "i is never negative", "i", i)
		}
	})
	b.Run("simulation", func(b *testing.B) {
		inSimulation(b, func(ctx context.Context) {
			b.ReportAllocs()
			withFloor(b, ctx, func(i int) {
				assertions.Always(ctx, i >= 0, "i is never negative")
			})
		})
	})
	b.Run("simulation-details", func(b *testing.B) {
		inSimulation(b, func(ctx context.Context) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				assertions.Always(ctx, i >= 0, "i is never negative", "i", i)
			}
		})
	})
}

// BenchmarkAlwaysLessThan measures a numeric form, which also keeps its
// watermark.
func BenchmarkAlwaysLessThan(b *testing.B) {
	const bound = time.Duration(1 << 62)
	b.Run("outside", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			assertions.AlwaysLessThan(ctx, time.Duration(i), bound, "i is bounded")
		}
	})
	b.Run("simulation", func(b *testing.B) {
		inSimulation(b, func(ctx context.Context) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				assertions.AlwaysLessThan(ctx, time.Duration(i), bound, "i is bounded")
			}
		})
	})
}

// BenchmarkSometimesAll measures three named conditions, in a simulation.
func BenchmarkSometimesAll(b *testing.B) {
	inSimulation(b, func(ctx context.Context) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			assertions.SometimesAll(ctx, "three at once",
				assertions.Named("a", i%2 == 0), assertions.Named("b", i%3 == 0), assertions.Named("c", i%5 == 0))
		}
	})
}

// BenchmarkSometimesEach measures a bucket already made, in a simulation.
func BenchmarkSometimesEach(b *testing.B) {
	inSimulation(b, func(ctx context.Context) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			assertions.SometimesEach(ctx, "each node", "node", i%8)
		}
	})
}
