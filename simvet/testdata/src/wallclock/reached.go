package wallclock

import (
	"context"
	. "time"
	clock "time"
)

// The same escapes, reached through a dot import, an alias, a defer, a
// function value, a generic function and the context's Cause variants.

func DotImport(d Duration) Time {
	Sleep(d)     // want `time.Sleep waits on the wall clock`
	return Now() // want `time.Now reads the wall clock`
}

func Aliased(d clock.Duration) clock.Time {
	defer clock.Sleep(d) // want `time.Sleep waits on`
	return clock.Now()   // want `time.Now reads`
}

func apply[T any](f func() T) T { return f() }

func Instantiated() Time {
	return apply(Now) // want `time.Now reads`
}

func Cause(ctx context.Context, d Duration, t Time) {
	c1, cancel1 := context.WithTimeoutCause(ctx, d, nil) // want `context.WithTimeoutCause waits on the wall clock.*p.Time.WithTimeout`
	defer cancel1()
	c2, cancel2 := context.WithDeadlineCause(c1, t, nil) // want `context.WithDeadlineCause waits on the wall clock.*p.Time.WithDeadline`
	defer cancel2()
	_ = c2
}

func SelectTimer(d Duration, ch chan int) {
	select {
	case <-After(d): // want `time.After waits on`
	case <-ch:
	}
}

// Durations, constants and time values passed around are fine, however
// the package is imported.
func Arithmetic(t Time, d Duration) (Duration, Time) {
	return t.Sub(t) + Second + 2*d + Duration(t.Unix()), t.Add(clock.Minute).Truncate(Hour)
}
