package wallclock

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

func Use(ctx context.Context, p providers.Providers, t time.Time, d time.Duration) {
	now := time.Now()                  // want `time.Now reads the wall clock, not the simulation's; use p.Time.Now\(\)`
	_ = time.Since(t)                  // want `time.Since reads the wall clock`
	_ = time.Until(t.Add(d))           // want `time.Until reads the wall clock`
	time.Sleep(d)                      // want `time.Sleep waits on the wall clock, not the simulation's; use p.Time.Sleep\(ctx, d\)`
	time.AfterFunc(d, func() {})       // want `time.AfterFunc`
	tm := time.AfterFunc(d, func() {}) // want `time.AfterFunc`
	_ = tm
	_ = time.After(d)                          // want `time.After waits on the wall clock.*p.Time.Sleep`
	_ = time.NewTimer(d)                       // want `time.NewTimer waits on the wall clock`
	_ = time.NewTicker(d)                      // want `time.NewTicker.*providers.NewTicker\(p.Time, d\), then tk.Wait\(ctx\) each round`
	_ = time.Tick(d)                           // want `time.Tick waits on the wall clock`
	c1, cancel1 := context.WithTimeout(ctx, d) // want `context.WithTimeout waits on the wall clock.*p.Time.WithTimeout\(ctx, d\)`
	defer cancel1()
	c2, cancel2 := context.WithDeadline(c1, now) // want `context.WithDeadline`
	defer cancel2()
	_ = c2
	f := time.Now // want `time.Now reads`
	_ = f
}

// No Providers in scope: reported, no fix.
func NoProviders() time.Time {
	return time.Now() // want `time.Now reads`
}

// Durations, time values and the Time provider are fine.
func Fine(ctx context.Context, p providers.Providers, t time.Time) time.Duration {
	return p.Time.Now().Sub(t) + time.Second + time.Duration(t.Unix())
}
