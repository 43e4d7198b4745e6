// Package simctx is how code under test finds the simulation it runs in: the
// simulation rides in the context.Context of every task it starts.
// Production-side packages (assertions, chaos) import only this package, so
// they never pull the engine into a production binary; outside a simulation
// From returns nil and they do nothing.
package simctx

import "context"

// Sim is what production-side packages may ask of the simulation they run in.
type Sim interface {
	// Seed is the seed of the run.
	Seed() uint64
	// Buggify decides whether the buggify site at pc fires now; fire is
	// the site's firing probability, or negative for the run's default.
	Buggify(pc uintptr, fire float64) bool
	// Asserter returns where the run's assertions go (package
	// assertions), or nil when nothing keeps them.
	Asserter() Asserter
}

type key struct{}

// With returns a context carrying s.
func With(ctx context.Context, s Sim) context.Context {
	return context.WithValue(ctx, key{}, s)
}

// From returns the simulation ctx carries, or nil.
func From(ctx context.Context) Sim {
	if ctx == nil {
		return nil
	}
	if s, ok := ctx.Value(key{}).(Sim); ok {
		return s
	}
	return guest()
}

// Drawer is what a simulation that can draw numbers for code under test
// (chaos.KnobRange) adds to [Sim]. Uint64N returns a number in [0, n)
// from the run's random stream; n == 0 draws a whole uint64.
type Drawer interface {
	Uint64N(n uint64) uint64
}
