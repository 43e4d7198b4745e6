package chaos

import (
	"context"
	"runtime"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// Buggify reports whether the calling site should misbehave now: take the
// slow path, drop the cache, fail the write, return early. Code under test
// calls it where a rare but legal behaviour hides, so that simulations reach
// it often:
//
//	if chaos.Buggify(ctx) {
//		return ErrTooBusy // legal, and rare in production
//	}
//
// A site is a call site. In a simulation with buggify on, a site is switched
// on for the whole run with probability [BuggifyConfig.ActivationProb] (0.5) when
// first reached, and an on site fires with probability [BuggifyConfig.FireProb]
// (0.25) each time it is reached. Both draws come from the run's random
// stream, so a seed decides which sites are on and when they fire.
//
// Outside a simulation, or while buggify is off, Buggify returns false at
// the cost of a context lookup.
func Buggify(ctx context.Context) bool {
	s := simctx.From(ctx)
	if s == nil {
		return false
	}
	return s.Buggify(caller(), -1)
}

// BuggifyWithProb is [Buggify] with the site's own firing probability p
// instead of the run's.
func BuggifyWithProb(ctx context.Context, p float64) bool {
	s := simctx.From(ctx)
	if s == nil {
		return false
	}
	return s.Buggify(caller(), p)
}

// Knob returns normal, or spiked when the calling site's buggify fires: a
// tunable that simulations push to an extreme.
//
//	batch := chaos.Knob(ctx, 1000, 1) // tiny batches in simulation
func Knob[T any](ctx context.Context, normal, spiked T) T {
	s := simctx.From(ctx)
	if s == nil || !s.Buggify(caller(), -1) {
		return normal
	}
	return spiked
}

// caller returns the PC of the call to the exported function that called
// it: the buggify site.
func caller() uintptr {
	var pc [1]uintptr
	runtime.Callers(3, pc[:])
	return pc[0]
}
