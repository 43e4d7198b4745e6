package chaos

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"github.com/moonpool-go/moonpool/internal/callsite"
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
//
// Not inlined: the site is the return address of the call to Buggify, read
// from the frame pointers (internal/callsite), which costs a few
// nanoseconds where unwinding the stack cost a few hundred.
//
//go:noinline
func Buggify(ctx context.Context) bool {
	s := simctx.From(ctx)
	if s == nil {
		return false
	}
	return s.Buggify(callsite.Caller(), -1)
}

// BuggifyWithProb is [Buggify] with the site's own firing probability p
// instead of the run's. A p outside [0, 1], or NaN, is a mistake in the
// code under test: in a simulation BuggifyWithProb panics saying so;
// outside one it returns false.
//
//go:noinline
func BuggifyWithProb(ctx context.Context, p float64) bool {
	s := simctx.From(ctx)
	if s == nil {
		return false
	}
	// The engine takes a negative p for "the run's FireProb", and a NaN
	// would never fire: neither is what the caller asked for.
	if !(p >= 0 && p <= 1) { // written so that NaN fails too
		panic(fmt.Sprintf("chaos.BuggifyWithProb: p is %v; a firing probability is in [0, 1]: pass one, or call chaos.Buggify for the run's FireProb", p))
	}
	return s.Buggify(callsite.Caller(), p)
}

// CrashPointProb is how often a [CrashPoint] whose site is on fires, each
// time it is reached: crashes are rarer than buggify's other misbehaviours,
// as a point on a request's path is reached again and again.
const CrashPointProb = 0.01

// CrashPoint marks a point of the code under test where a crash leaves
// the most to recover: after a decision is sent and before it is made
// durable, between two writes that must both land, after a rename and
// before the sync of its directory. In a simulation with buggify on, the
// point is a buggify site, on for the run with [BuggifyConfig]'s
// ActivationProb and firing with [CrashPointProb] each time it is
// reached; when it fires, the calling process crashes right there, as
// attrition's crashes do (its unsynced writes are at the mercy of the
// disk's crash), and boots again after attrition's DownFor, or at once
// with attrition off. The calling task does not return from it then.
//
//	log.Append(decision)
//	send(commit)
//	chaos.CrashPoint(ctx) // a crash here: sent, not yet durable
//	log.Sync()
//
// It fires only while faults are on (the chaos phase of simtest's
// Cluster.Run), in a process of a cluster that attrition may take down
// now: not a Protected one, and not while attrition's MaxDead are down
// (counting, as attrition does, a process up and not ready as down) or
// an outage holds; in a program run as a simulated process too, whatever
// its context.
// Outside a simulation, or in the test's own tasks, it does nothing, at
// the cost of a context lookup.
//
//go:noinline
func CrashPoint(ctx context.Context) {
	if c, ok := simctx.From(ctx).(simctx.Crasher); ok {
		c.CrashAt(callsite.Caller(), CrashPointProb)
	}
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
// it: the buggify site. Knob and KnobRange unwind the stack for it, as
// Buggify does not: the wrapper of an instantiated generic function value
// (f := chaos.Knob[int]) would stand for every call made through f, and
// runtime.Callers steps over it.
func caller() uintptr {
	var pc [1]uintptr
	runtime.Callers(3, pc[:])
	return pc[0]
}

// Number is what [KnobRange] draws: the integer and floating-point kinds,
// and the types made from them, such as [time.Duration].
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// KnobRange returns normal, or, when the calling site's buggify fires, a
// value drawn uniformly in [lo, hi] from the run's random stream: a tunable
// that simulations push anywhere in a range, not to one extreme, so that
// seeds try the values between the edges too.
//
//	batch := chaos.KnobRange(ctx, 1000, 1, 16)                    // small batches
//	timeout := chaos.KnobRange(ctx, time.Second, time.Millisecond, 10*time.Second)
//
// Each firing draws anew. Integers are drawn in the closed range; floats
// in [lo, hi). Inside a program the simulation runs (a wasip1 build), a
// firing site returns lo. lo above hi, or a float bound that is NaN or
// infinite, is a mistake in the code under test: in a simulation KnobRange
// panics saying so; outside one it returns normal.
func KnobRange[T Number](ctx context.Context, normal, lo, hi T) T {
	s := simctx.From(ctx)
	if s == nil {
		return normal
	}
	if lo > hi {
		panic(fmt.Sprintf("chaos.KnobRange: lo (%v) is above hi (%v); pass the range's low end first", lo, hi))
	}
	// A NaN bound passes the check above and an infinite one makes every
	// draw NaN or an infinity: no value of the range is drawn.
	if fl, fh := float64(lo), float64(hi); isFloat(lo) && !(fl >= -math.MaxFloat64 && fh <= math.MaxFloat64) {
		panic(fmt.Sprintf("chaos.KnobRange: the range is [%v, %v]; a float range has finite bounds: pass finite lo and hi", lo, hi))
	}
	if !s.Buggify(caller(), -1) {
		return normal
	}
	d, ok := s.(simctx.Drawer)
	if !ok || lo == hi {
		return lo
	}
	return drawIn(d, lo, hi)
}

// drawIn draws a value in [lo, hi] (floats: [lo, hi)) with one draw of d.
func drawIn[T Number](d simctx.Drawer, lo, hi T) T {
	var zero T
	if isFloat(zero) {
		u := float64(d.Uint64N(1<<53)) / (1 << 53)
		w := float64(hi) - float64(lo)
		f := float64(lo) + u*w
		if math.IsInf(w, 0) {
			// A width past float64's range would make every draw
			// overflow to hi and fall back to lo; weigh the ends instead.
			f = float64(lo)*(1-u) + float64(hi)*u
		}
		v := T(f)
		if v >= hi { // rounding
			v = lo
		}
		return v
	}
	// Integers: the width, counted as uint64 in two's complement, cannot
	// overflow; a full 64-bit range draws a plain Uint64.
	width := uint64(hi) - uint64(lo)
	if width == math.MaxUint64 {
		return T(d.Uint64N(0))
	}
	return T(uint64(lo) + d.Uint64N(width+1))
}

func isFloat[T Number](v T) bool {
	v = 1
	v /= 2 // zero for integers, a half for floats of any named type
	return v != 0
}
