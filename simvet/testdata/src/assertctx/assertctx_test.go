package assertctx

import (
	"context"
	"testing"

	"github.com/moonpool-go/moonpool/assertions"
)

func TestLedger(t *testing.T) {
	// On the test goroutine, outside any simulation: not reported.
	assertions.Reachable(context.Background(), "the test's")
	task := func() {
		assertions.Reachable(context.Background(), "a task's") // want `assertions.Reachable finds`
	}
	task()
}

func TestWithTheTestsContext(t *testing.T) {
	task := func() {
		assertions.Always(t.Context(), true, "the test's context") // want `assertions.Always finds its simulation through its context, so given t.Context\(\) it does nothing`
		ctx := t.Context()
		assertions.Always(ctx, true, "made from it") // want `given ctx, made from t.Context\(\),`
	}
	task()
}

// withTB is given a testing.TB, which may be a *simtest.S, whose Context
// carries the simulation: not reported.
func withTB(tb testing.TB) {
	task := func() {
		assertions.Always(tb.Context(), true, "the TB's context")
	}
	task()
}
