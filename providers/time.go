package providers

import (
	"context"
	"time"
)

// Time is a clock and the ways to wait on it. In a simulation it reads and
// advances simulated time; in production it is package time.
type Time interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep pauses the calling task for d, or until ctx is done, in which
	// case it returns ctx's error. A d of zero or less lets other tasks run
	// and returns at once; a d whose end is past the last instant the
	// clock holds, such as math.MaxInt64, ends there, as package time's
	// timers do: in practice, never.
	Sleep(ctx context.Context, d time.Duration) error
	// AfterFunc calls f in its own task after d. The returned Timer can stop
	// or reset it, as with time.AfterFunc.
	AfterFunc(d time.Duration, f func()) Timer
	// WithDeadline is context.WithDeadline on this clock: the context's Done
	// channel closes when this clock reaches deadline.
	WithDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc)
	// WithTimeout is WithDeadline(ctx, Now().Add(d)).
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

// Timer is a pending call made by [Time.AfterFunc].
type Timer interface {
	// Stop prevents the call from happening. It reports whether it did so,
	// false when the call already happened or the timer was stopped.
	Stop() bool
	// Reset makes the call happen d from now, whether or not it already
	// happened. It reports whether the timer was pending.
	Reset(d time.Duration) bool
}

type realTime struct{}

func (realTime) Now() time.Time { return time.Now() }

func (realTime) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (realTime) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

func (realTime) WithDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, deadline)
}

func (realTime) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
