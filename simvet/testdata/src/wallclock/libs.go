package wallclock

import (
	"context"
	"time"

	clock "github.com/benbjohnson/clock"
	backoff4 "github.com/cenkalti/backoff/v4"
	backoff "github.com/cenkalti/backoff/v5"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jonboulle/clockwork"
	cache "github.com/patrickmn/go-cache"
	cron "github.com/robfig/cron/v3"
	gobreaker1 "github.com/sony/gobreaker"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/moonpool-go/moonpool/providers"
)

// limited embeds a limiter: its methods are the limiter's.
type limited struct{ *rate.Limiter }

// Popular libraries that keep their own time, found where the code calls
// them; the forms that take the time are fine.
func Libraries(ctx context.Context, p providers.Providers, op backoff4.Operation, t backoff4.Timer) error {
	lim := rate.NewLimiter(10, 1)
	_ = lim.Wait(ctx)     // want `rate.Limiter.Wait waits on a real timer, and compares the context's deadline with time.Now.*p.Time.Sleep\(ctx, r.DelayFrom\(now\)\).*\(docs/production.md, "Libraries that keep their own time"\)`
	_ = lim.WaitN(ctx, 2) // want `rate.Limiter.WaitN waits on a real timer`
	_ = lim.Allow()       // want `rate.Limiter.Allow refills on time.Now: a simulated minute passes in microseconds.*; use lim.AllowN\(p.Time.Now\(\), 1\) \(docs/production.md, "Libraries that keep their own time"\)`
	r := lim.Reserve()    // want `rate.Limiter.Reserve refills on time.Now.*lim.ReserveN\(p.Time.Now\(\), 1\)`
	_ = lim.Tokens()      // want `rate.Limiter.Tokens refills on time.Now.*lim.TokensAt\(p.Time.Now\(\)\)`
	lim.SetLimit(5)       // want `rate.Limiter.SetLimit .*lim.SetLimitAt\(p.Time.Now\(\), limit\)`
	lim.SetBurst(5)       // want `rate.Limiter.SetBurst .*lim.SetBurstAt\(p.Time.Now\(\), burst\)`
	_ = r.Delay()         // want `rate.Reservation.Delay measures from time.Now.*r.DelayFrom\(p.Time.Now\(\)\)`
	r.Cancel()            // want `rate.Reservation.Cancel measures from time.Now.*r.CancelAt\(p.Time.Now\(\)\)`
	allow := lim.Allow    // want `rate.Limiter.Allow refills`
	_ = allow
	_ = limited{lim}.Allow() // want `rate.Limiter.Allow refills`
	// The forms that take the time, and the limiter's settings: fine.
	now := p.Time.Now()
	_ = lim.AllowN(now, 1)
	r = lim.ReserveN(now, 1)
	_ = r.DelayFrom(now)
	r.CancelAt(now)
	_ = lim.TokensAt(now)
	lim.SetLimitAt(now, 5)
	lim.SetBurstAt(now, 5)
	_, _ = lim.Limit(), lim.Burst()

	_ = backoff4.Retry(op, backoff4.NewExponentialBackOff())                                               // want `backoff.Retry waits between attempts on a real time.Timer.*; use RetryNotifyWithTimer .*WithClockProvider\(p.Time\)`
	_ = backoff4.RetryNotify(op, &backoff4.ExponentialBackOff{}, nil)                                      // want `backoff.RetryNotify waits between attempts`
	_ = backoff4.RetryNotifyWithTimer(op, nil, nil, nil)                                                   // want `backoff.RetryNotifyWithTimer given a nil Timer, waits between attempts`
	_ = backoff4.RetryNotifyWithTimer(op, nil, nil, t)                                                     // a Timer given: fine
	_, _ = backoff4.RetryWithData(func() (int, error) { return 1, nil }, nil)                              // want `backoff.RetryWithData waits`
	_, _ = backoff4.RetryNotifyWithTimerAndData[int](func() (int, error) { return 1, nil }, nil, nil, nil) // want `backoff.RetryNotifyWithTimerAndData given a nil Timer`
	_, _ = backoff4.RetryNotifyWithTimerAndData[int](func() (int, error) { return 1, nil }, nil, nil, t)   // a Timer given: fine
	_ = backoff4.NewTicker(nil)                                                                            // want `backoff.NewTicker ticks from a goroutine of its own`
	_ = backoff4.NewTickerWithTimer(nil, t)                                                                // want `backoff.NewTickerWithTimer ticks from a goroutine of its own`
	_, _ = backoff.Retry(ctx, func() (int, error) { return 1, nil })                                       // want `backoff.Retry waits between attempts on a real time.Timer, with no hook for another.*; retry in a loop of your own that waits p.Time.Sleep\(ctx, b.NextBackOff\(\)\)`
	_, _ = backoff.Retry[string](ctx, nil, backoff.WithMaxElapsedTime(time.Minute))                        // want `backoff.Retry waits`
	_ = backoff.NewTicker(backoff.NewExponentialBackOff())                                                 // want `backoff.NewTicker ticks`
	_ = backoff.NewExponentialBackOff().NextBackOff()                                                      // a policy alone: fine

	_ = gobreaker.NewCircuitBreaker[int](gobreaker.Settings{Timeout: time.Second}) // want `gobreaker.NewCircuitBreaker times its open state \(Timeout, 60 s when zero\).*keep the open state on p.Time`
	_ = gobreaker.NewTwoStepCircuitBreaker[int](gobreaker.Settings{})              // want `gobreaker.NewTwoStepCircuitBreaker times its open state`
	_, _ = gobreaker.NewDistributedCircuitBreaker[int](nil, gobreaker.Settings{})  // want `gobreaker.NewDistributedCircuitBreaker times`
	_ = gobreaker1.NewCircuitBreaker(gobreaker1.Settings{})                        // want `gobreaker.NewCircuitBreaker times its open state`
	_ = gobreaker1.NewTwoStepCircuitBreaker(gobreaker1.Settings{})                 // want `gobreaker.NewTwoStepCircuitBreaker times`

	c := expirable.NewLRU[string, int](8, nil, time.Second) // want `expirable.NewLRU starts a goroutine per cache, on a time.Ticker, that never ends.*use golang-lru's plain lru.Cache`
	c.Add("a", 1)
	_ = expirable.NewLRU(8, func(string, int) {}, time.Second) // want `expirable.NewLRU starts`
	_ = cache.New(time.Minute, time.Minute)                    // want `cache.New expires items on time.Now, and given a cleanup interval starts a janitor goroutine`
	_ = cache.NewFrom(time.Minute, 0, nil)                     // want `cache.NewFrom expires items`
	_ = cache.New(cache.NoExpiration, 0)                       // no expiration, no janitor: fine
	_ = cache.New(cache.DefaultExpiration, cache.NoExpiration) // fine
	_ = cache.NewFrom(cache.NoExpiration, 0, nil)              // fine
	_ = cache.New(cache.NoExpiration, time.Minute)             // want `cache.New expires items`
	ttl := time.Duration(0)
	_ = cache.New(ttl, 0) // want `cache.New expires items`
	newCache := cache.New // want `cache.New expires items`
	_ = newCache

	_ = clockwork.NewRealClock() // want `clockwork.NewRealClock is the wall clock behind clockwork.Clock.*a clockwork.Clock on p.Time for Now, Since, Until, Sleep and AfterFunc; the channels of its After, NewTimer and NewTicker cannot be waited on in a task, so run code that waits on them as a program`
	_ = clockwork.NewFakeClock() // a fake clock: fine
	_ = clock.New()              // want `clock.New is the wall clock behind clock.Clock.*WithTimeout and WithDeadline; .*its AfterFunc returns a \*clock.Timer that only the wall clock and its Mock can make`
	_ = clock.NewMock()          // a mock: fine
	_ = cron.New()               // want `cron.New schedules on time.Now and a real time.Timer.*cron.ParseStandard\(spec\)`
	_, _ = cron.ParseStandard("@every 1m")
	return nil
}
