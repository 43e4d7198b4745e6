package assertions_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/assertions"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// every calls each function of the catalogue once, without details, with
// bad input among the good.
func every(ctx context.Context, n int) {
	assertions.Always(ctx, n > 0, "positive")
	assertions.AlwaysOrUnreachable(ctx, n > 0, "positive or unreached")
	assertions.Sometimes(ctx, n > 0, "sometimes positive")
	assertions.Reachable(ctx, "reached")
	assertions.Unreachable(ctx, "unreached")
	assertions.AlwaysGreaterThan(ctx, n, 0, "gt")
	assertions.AlwaysGreaterThanOrEqual(ctx, time.Duration(n), 0, "ge")
	assertions.AlwaysLessThan(ctx, float32(n), 1e9, "lt")
	assertions.AlwaysLessThanOrEqual(ctx, uint(n), 1e9, "le")
	assertions.SometimesGreaterThan(ctx, math.NaN(), 0, "nan gt")
	assertions.SometimesGreaterThanOrEqual(ctx, n, 1, "sge")
	assertions.SometimesLessThan(ctx, int8(n), 1, "slt")
	assertions.SometimesLessThanOrEqual(ctx, n, 1, "sle")
	assertions.SometimesAll(ctx, "all", assertions.Named("a", true), assertions.Named("b", false))
	assertions.SometimesEach(ctx, "each")
	assertions.Always(ctx, false, "")
}

func TestOutsideASimulationNothingHappens(t *testing.T) {
	// No panic, no allocation, whatever the input, with any context:
	// production code keeps its assertions.
	ctxs := map[string]context.Context{
		"background": context.Background(),
		"nil":        nil,
		"derived":    context.WithValue(context.Background(), struct{}{}, 1),
	}
	for name, ctx := range ctxs {
		allocs := testing.AllocsPerRun(100, func() { every(ctx, 7) })
		assert.Zero(t, allocs, "%s: an assertion without details allocates nothing outside a simulation", name)
		n := 7
		assertions.SometimesEach(ctx, "each", "n", n, "p", &n, assertions.Quality{Name: "q", Value: math.NaN()})
		assertions.Always(ctx, true, "details", "n")
	}
}
