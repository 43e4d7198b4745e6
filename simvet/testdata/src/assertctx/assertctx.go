package assertctx

import (
	"context"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
)

type Account struct{ balance int }

// The code under test's context is at hand: a fix passes it.
func (a *Account) Withdraw(ctx context.Context, n int) {
	a.balance -= n
	assertions.Always(context.Background(), a.balance >= 0, "balance never negative") // want `assertctx: assertions.Always finds its simulation through its context, so given context.Background\(\) it does nothing in a simulation; pass the context of the code under test \(the task's, the handler's, the request's\)`
	assertions.Sometimes(context.TODO(), n == 0, "an empty withdrawal")               // want `assertions.Sometimes finds .* given context.TODO\(\) it does nothing in a simulation`
	assertions.Reachable((context.Background()), "withdrawn")                         // want `assertions.Reachable finds`
	assertions.AlwaysGreaterThan(context.Background(), a.balance, -1, "above -1")     // want `assertions.AlwaysGreaterThan finds`
	assertions.SometimesLessThan[int](context.TODO(), a.balance, 10, "low")           // want `assertions.SometimesLessThan finds`
	assertions.SometimesAll(context.Background(), "all at once",                      // want `assertions.SometimesAll finds`
		assertions.Named("low", a.balance < 10), assertions.Named("even", a.balance%2 == 0))
	if chaos.Buggify(context.Background()) { // want `chaos.Buggify finds its simulation through its context, so given context.Background\(\) it never fires in a simulation; pass the context of the code under test`
		return
	}
	_ = chaos.Knob(context.TODO(), 100, 1)                      // want `chaos.Knob finds .* never fires`
	_ = chaos.KnobRange[float64](context.Background(), 1, 0, 2) // want `chaos.KnobRange finds`

	// The code under test's own context, and chaos's functions that
	// take none, are fine.
	assertions.Always(ctx, a.balance >= 0, "balance never negative")
	assertions.Always(ctx, true, "a context as a detail", "parent", context.Background())
	_ = chaos.Knob(ctx, 100, 1)
	_ = chaos.Defaults()
}

// A task's context, a parameter of the function literal.
func start(run func(func(ctx context.Context) error)) {
	run(func(ctx context.Context) error {
		assertions.Unreachable(context.Background(), "never") // want `assertions.Unreachable finds`
		return nil
	})
}

// A context in scope that the function reassigns, or under another name,
// is no obvious fix: reported, not fixed.
func reassigned(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	assertions.Reachable(context.Background(), "reassigned") // want `assertions.Reachable finds`
	_ = ctx
}

func named(c context.Context) {
	assertions.Reachable(context.Background(), "named c") // want `assertions.Reachable finds`
	_ = c
}

func shadowed(ctx context.Context) {
	{
		ctx := 1
		assertions.Reachable(context.Background(), "shadowed") // want `assertions.Reachable finds`
		_ = ctx
	}
	assertions.Reachable(ctx, "not shadowed")
}
