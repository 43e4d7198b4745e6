package simnet

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// A host's clock reads local = sim + skew + sim×drift/1e9, in integer
// nanoseconds so that every platform computes the same instants.

const billion = 1_000_000_000

// drawClock draws the host's skew (when MaxClockSkew > 0) and drift (when
// MaxClockDrift > 0), one value each, and for the drift, when
// ClockDriftAtBoundProb > 0, a coin for whether it is the bound and one
// for which. A host that is to read the clock of
// another (unusedFor, not nil) draws all the same, so that the draws after
// are as they were, and its line says the draw goes unused; the trace
// hashes the line without that.
func (h *Host) drawClock(unusedFor *Host) {
	n := h.n
	if m := int64(n.cfg.MaxClockSkew); m > 0 {
		h.skew = n.uniform(-m, m)
	}
	if m := int64(math.Round(n.cfg.MaxClockDrift * billion)); m > 0 {
		h.drift = n.uniform(-m, m)
		if p := n.cfg.ClockDriftAtBoundProb; p > 0 && n.rng.Bool(p) {
			h.drift = m
			if n.rng.Bool(0.5) {
				h.drift = -m
			}
		}
	}
	if h.skew == 0 && h.drift == 0 {
		return
	}
	key := fmt.Sprintf("net: host %s clock: skew %v, drift %+d ppb", h.name, time.Duration(h.skew), h.drift)
	msg := key
	if unusedFor != nil && unusedFor != h {
		msg += ", drawn, unused: it reads the clock of " + unusedFor.name + ", its machine's"
	}
	n.w.EventKeyed(n.w.CurrentTask(), key, msg)
}

// ShareClock makes h read the clock of of, as two processes of one
// machine read its one clock: h takes of's skew and drift. Call it before
// anything waits on h's clock. A steady host (SteadyHost) keeps its own.
func (h *Host) ShareClock(of *Host) {
	if h == of || h.steady || (h.skew == of.skew && h.drift == of.drift) {
		return
	}
	h.skew, h.drift = of.skew, of.drift
	h.n.event("host %s clock: the clock of %s, its machine's", h.name, of.name)
}

// toLocal converts simulated nanoseconds to the host's, saturating at the
// ends of int64 so that it never decreases.
func (h *Host) toLocal(t int64) int64 {
	if h.drift == 0 {
		return satAdd(t, h.skew)
	}
	return satAdd(mulDiv(t, billion+h.drift, billion), h.skew)
}

// toSim converts the host's nanoseconds to simulated ones, saturating.
func (h *Host) toSim(t int64) int64 {
	if h.drift == 0 {
		return satAdd(t, -h.skew)
	}
	return mulDiv(satAdd(t, -h.skew), billion, billion+h.drift)
}

// simUntil returns the first simulated instant at which the host's clock
// reads local or later, or math.MaxInt64 if it never does. Converting with
// toSim alone rounds, and a timer armed there could fire while the host's
// clock still reads a nanosecond short of its deadline; Go promises a wait
// of at least its duration.
func (h *Host) simUntil(local int64) int64 {
	s := h.toSim(local)
	// Without drift, toSim is the answer, but at the bottom of int64,
	// where a skew below zero makes toLocal flat. It is the common case
	// (a deadline on a steady host), so it goes first.
	if h.drift == 0 && local > math.MinInt64 {
		return s
	}
	if s > math.MinInt64 && h.toLocal(s) >= local && h.toLocal(s-1) < local {
		return s
	}
	// With drift, toSim is within a nanosecond or two of the answer, but
	// where int64 saturates, toLocal is flat and no step count is enough:
	// the answer is found by bisection in (lo, hi], where toLocal(lo) <
	// local <= toLocal(hi), taking hi = math.MaxInt64 when no instant
	// reads local.
	lo, hi := satAdd(s, -3), satAdd(s, 3)
	if h.toLocal(lo) >= local {
		if h.toLocal(math.MinInt64) >= local {
			return math.MinInt64
		}
		lo = math.MinInt64
	}
	if h.toLocal(hi) < local {
		hi = math.MaxInt64
	}
	for uint64(hi)-uint64(lo) > 1 {
		mid := lo + int64((uint64(hi)-uint64(lo))/2)
		if h.toLocal(mid) >= local {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// simDur converts a wait of d on the host's clock, starting now, to
// simulated time: the wait ends at the first instant the host's clock
// reads its start plus d.
func (h *Host) simDur(d time.Duration) time.Duration {
	if h.drift == 0 || d <= 0 {
		return d
	}
	now := h.n.now()
	return time.Duration(h.simUntil(satAdd(h.toLocal(now), int64(d))) - now)
}

// satAdd returns a+b, saturating at the ends of int64.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// mulDiv returns x×num/den, rounded toward zero, saturating; num and den
// are positive.
func mulDiv(x, num, den int64) int64 {
	neg := x < 0
	ux := uint64(x)
	if neg {
		ux = -ux
	}
	hi, lo := bits.Mul64(ux, uint64(num))
	if hi >= uint64(den) {
		if neg {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(den))
	if q > math.MaxInt64 {
		q = math.MaxInt64
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// hostClock is a host's providers.Time: the world's clock seen through the
// host's skew and drift, with buggified delays on sleeps and timers.
type hostClock struct {
	h    *Host
	base providers.Time
}

func (c *hostClock) Now() time.Time {
	now := c.KernelNow()
	c.h.n.w.ClockRead()
	return now
}

// KernelNow reads the host's clock as its kernel does on a process's
// behalf, inside a system call (a poll's time-out, a program host's check
// for spinning): unlike Now, which the process's own code calls, it is no
// point where a pause armed for a clock read begins
// (sim.Group.PauseAfterClockRead).
func (c *hostClock) KernelNow() time.Time {
	return sim.FromEpoch(c.h.toLocal(c.h.n.now()))
}

func (c *hostClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return c.base.Sleep(ctx, d)
	}
	return c.base.Sleep(ctx, c.h.timerDur(d))
}

func (c *hostClock) AfterFunc(d time.Duration, f func()) providers.Timer {
	return &hostTimer{h: c.h, t: c.base.AfterFunc(c.h.timerDur(d), f)}
}

// timerDur is the simulated length of a sleep or timer of d on the host's
// clock, with its buggified delay; a wait that ends past the last instant
// ends there.
func (h *Host) timerDur(d time.Duration) time.Duration {
	s := h.simDur(d)
	return time.Duration(satAdd(int64(s), int64(h.sleepDelay())))
}

func (c *hostClock) WithDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	c.h.n.w.RefuseWallTime(deadline, "Time.WithDeadline")
	return c.withLocal(ctx, deadline, c.h.simAt(deadline))
}

func (c *hostClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	// The deadline in the host's nanoseconds, when it is one: without
	// the round trip through a time.Time that WithDeadline takes.
	h := c.h
	local := h.toLocal(h.n.now())
	// A read of the clock for the task, as Now's: a pause armed for one
	// begins here, and the deadline is counted from before it.
	h.n.w.ClockRead()
	end := local + int64(d)
	if (end > local) != (d > 0) {
		return c.WithDeadline(ctx, sim.Epoch.Add(time.Duration(local)).Add(d))
	}
	return c.withLocal(ctx, sim.FromEpoch(end), h.simUntil(end))
}

// WithDeadlineCancelCause is the world's (sim's timeProvider), with
// deadline on the host's clock: WithDeadline whose cancel takes a cause,
// a zero deadline adding none.
func (c *hostClock) WithDeadlineCancelCause(ctx context.Context, deadline time.Time) (context.Context, context.CancelCauseFunc) {
	base := c.base.(causeClock)
	if deadline.IsZero() {
		return base.WithDeadlineCancelCause(ctx, deadline)
	}
	c.h.n.w.RefuseWallTime(deadline, "Time.WithDeadline")
	inner, cancel := base.WithDeadlineCancelCause(ctx, sim.FromEpoch(c.h.simAt(deadline)))
	return c.local(ctx, inner, deadline), cancel
}

// causeClock is the world's Time provider's WithDeadlineCancelCause.
type causeClock interface {
	WithDeadlineCancelCause(ctx context.Context, deadline time.Time) (context.Context, context.CancelCauseFunc)
}

// withLocal is a context under ctx that the world ends at simulated time
// at, and that reports deadline on the host's clock, or ctx's deadline if
// the world ends ctx first. Which ends first is the world's to say, in its
// own time: ctx may report its deadline on this host's clock, or on
// another.
func (c *hostClock) withLocal(ctx context.Context, deadline time.Time, at int64) (context.Context, context.CancelFunc) {
	inner, cancel := c.base.WithDeadline(ctx, sim.FromEpoch(at))
	return c.local(ctx, inner, deadline), cancel
}

// local has inner, made under ctx by the world to end at deadline on
// the host's clock, report that deadline, or ctx's where the world ends
// ctx first.
func (c *hostClock) local(ctx, inner context.Context, deadline time.Time) *localDeadline {
	d := &localDeadline{Context: inner, h: c.h, deadline: deadline}
	if inner.Value(sim.SimDeadline{}) != any(inner) { // the deadline is ctx's
		d.takeDeadline(ctx)
	}
	return d
}

var _ sim.LocalDeadline = (*localDeadline)(nil)

// localDeadline reports its deadline on the host's clock, while the world
// ends it at the matching simulated instant.
type localDeadline struct {
	context.Context
	h        *Host
	deadline time.Time
	parent   context.Context // when the deadline is the parent's as the parent reports it
}

// takeDeadline has c report the deadline of its parent ctx, which the
// world ends first: as ctx reports it when that is on c's host's clock,
// or on the wall clock, which the world does not keep; on c's host's
// clock when it is on another (the world's, or another host's), so that
// code on the host that reads it reads when c ends.
func (c *localDeadline) takeDeadline(ctx context.Context) {
	cur, _ := ctx.Deadline()
	c.deadline, c.parent = cur, ctx
	owner := sim.DeadlineOwner(ctx, cur)
	if owner == nil {
		return // on the wall clock
	}
	wd := cur // on the world's clock, unless on a host's
	if l, ok := owner.(*localDeadline); ok {
		if l.h == c.h {
			return // on this host's clock
		}
		wd = l.WorldDeadline()
	}
	c.deadline = sim.FromEpoch(c.h.toLocal(sim.SinceEpoch(wd)))
	c.parent = nil // the deadline c reports is its own
}

func (c *localDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// WorldDeadline returns the simulated instant at which the world ends c:
// that of the world's context under it.
func (c *localDeadline) WorldDeadline() time.Time {
	d, _ := sim.WorldDeadline(c.Context)
	return d
}

// Value answers sim.SimDeadline with c when the deadline it reports is
// its own, or its parent's converted to the host's clock: the world keeps
// it, though in the host's time, and a report must not take it for a
// deadline on the wall clock. A deadline that is its parent's as the
// parent reports it is found from the parent: the world's context under c
// keeps its own deadline in simulated time, which is not the one c
// reports.
func (c *localDeadline) Value(key any) any {
	if key == (sim.SimDeadline{}) {
		if c.parent != nil {
			return c.parent.Value(key)
		}
		return c
	}
	return c.Context.Value(key)
}

type hostTimer struct {
	h *Host
	t providers.Timer
}

func (t *hostTimer) Stop() bool { return t.t.Stop() }

func (t *hostTimer) Reset(d time.Duration) bool {
	return t.t.Reset(t.h.timerDur(d))
}

// sleepDelay draws the buggified extra delay of a sleep or timer: a coin
// (when SleepDelayProb > 0), then u for MaxSleepDelay × u^1000.
func (h *Host) sleepDelay() time.Duration {
	n := h.n
	p := n.cfg.SleepDelayProb
	if p <= 0 || n.cfg.MaxSleepDelay <= 0 || n.paused || !n.rng.Bool(p) {
		return 0
	}
	d := time.Duration(float64(float64(n.cfg.MaxSleepDelay) * pow1000(n.rng.Float64())))
	if d > 0 {
		n.event("sleep on %s delayed by %v", h.name, d)
	}
	return d
}
