package simnet_test

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

func TestClockSkewAndDrift(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockSkew = time.Second
	cfg.MaxClockDrift = 0.1
	w := newWorld(t, 1, cfg)
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		hosts := []providers.Time{w.net.Host("10.0.0.1").Time(), w.net.Host("10.0.0.2").Time(), w.net.Host("10.0.0.3").Time()}
		assert.Equal(t, sim.Epoch, w.net.SteadyHost("10.0.0.4").Time().Now(), "a steady host reads simulated time")
		starts := make([]time.Time, len(hosts))
		for i, c := range hosts {
			starts[i] = c.Now()
			assert.InDelta(t, 0, float64(starts[i].Sub(sim.Epoch)), float64(time.Second), "skew within MaxClockSkew")
		}
		assert.NotEqual(t, starts[0], starts[1], "hosts disagree")

		require.NoError(t, p.Time.Sleep(ctx, 100*time.Second))
		for i, c := range hosts {
			passed := c.Now().Sub(starts[i])
			assert.InDelta(t, float64(100*time.Second), float64(passed), float64(10*time.Second), "drift within MaxClockDrift")
			assert.NotEqual(t, 100*time.Second, passed, "host %d's clock drifts", i)
		}

		// A host's sleeps, timers and deadlines are on its own clock.
		for _, c := range hosts {
			start := c.Now()
			require.NoError(t, c.Sleep(ctx, 10*time.Second))
			assert.Equal(t, 10*time.Second, c.Now().Sub(start).Round(time.Microsecond))

			start = c.Now()
			dctx, cancel := c.WithTimeout(ctx, 5*time.Second)
			dl, ok := dctx.Deadline()
			assert.True(t, ok)
			assert.Equal(t, start.Add(5*time.Second), dl, "the deadline reads on the host's clock")
			assert.ErrorIs(t, p.Time.Sleep(dctx, time.Hour), context.DeadlineExceeded)
			cancel()
			assert.Equal(t, 5*time.Second, c.Now().Sub(start).Round(time.Microsecond))

			start = c.Now()
			fired := time.Time{}
			c.AfterFunc(3*time.Second, func() { fired = c.Now() })
			require.NoError(t, c.Sleep(ctx, 4*time.Second))
			assert.Equal(t, 3*time.Second, fired.Sub(start).Round(time.Microsecond))
		}
		return nil
	})
	require.NoError(t, res.Err)
	assert.Len(t, events(res, "clock: skew"), 3)
}

// With ClockDriftAtBoundProb 1, every host's clock runs at the bound,
// fast or slow: over 100 simulated seconds, 110 or 90 on its own clock.
func TestClockDriftAtTheBound(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockDrift, cfg.ClockDriftAtBoundProb = 0.1, 1
	fast, slow := 0, 0
	for seed := uint64(1); seed <= 5; seed++ {
		w := newWorld(t, seed, cfg)
		res := w.run(func(ctx context.Context, p providers.Providers) error {
			var hosts []providers.Time
			for _, name := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
				hosts = append(hosts, w.net.Host(name).Time())
			}
			starts := make([]time.Time, len(hosts))
			for i, c := range hosts {
				starts[i] = c.Now()
			}
			require.NoError(t, p.Time.Sleep(ctx, 100*time.Second))
			for i, c := range hosts {
				switch passed := c.Now().Sub(starts[i]); passed {
				case 110 * time.Second:
					fast++
				case 90 * time.Second:
					slow++
				default:
					t.Errorf("host %d's clock passed %v in 100s, not at the bound of 10%%", i, passed)
				}
			}
			return nil
		})
		require.NoError(t, res.Err)
	}
	assert.Positive(t, fast, "some clocks fast")
	assert.Positive(t, slow, "some slow")
	bad := chaos.NoNetworkFaults()
	bad.ClockDriftAtBoundProb = 1.5
	assert.ErrorContains(t, bad.Validate(), "ClockDriftAtBoundProb", "a probability above 1")
}

func TestConnDeadlinesFollowTheHostClock(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockSkew = time.Hour
	cfg.MaxClockDrift = 0.2
	simulate(t, 2, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		_ = c
		start := server.Time.Now()
		require.NoError(t, s.SetReadDeadline(start.Add(time.Second)))
		_, err := s.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.Equal(t, time.Second, server.Time.Now().Sub(start).Round(time.Microsecond), "a second on the server's clock, however skewed and drifting")
		return nil
	})
}

func TestSleepDelays(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SleepDelayProb, cfg.MaxSleepDelay = 1, 1000*time.Second
	w := newWorld(t, 3, cfg)
	var longer int
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		c := w.net.Host("10.0.0.1").Time()
		for range 1000 {
			start := c.Now()
			require.NoError(t, c.Sleep(ctx, time.Millisecond))
			took := c.Now().Sub(start)
			require.GreaterOrEqual(t, took, time.Millisecond, "never shorter")
			if took > time.Millisecond {
				longer++
			}
		}
		return nil
	})
	require.NoError(t, res.Err)
	assert.Positive(t, longer, "some sleeps took longer than asked")
	assert.Less(t, longer, 100, "most delays are nothing (u^1000)")
	assert.Len(t, events(res, "sleep on 10.0.0.1 delayed"), longer)
}

func TestResilientClientSurvivesClockFaults(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockSkew = time.Second
	cfg.MaxClockDrift = 0.01
	cfg.SleepDelayProb, cfg.MaxSleepDelay = 0.5, time.Second
	for seed := range uint64(3) {
		survive(t, seed, cfg, 200)
	}
}

// A host's WithTimeout(d) is its WithDeadline(Now().Add(d)): the same
// deadline, ending at the same simulated instant, for any d, those whose
// end overflows the host's nanoseconds, or saturates int64, included.
func TestHostWithTimeoutIsWithDeadline(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockSkew = time.Second
	cfg.MaxClockDrift = 0.1
	w := newWorld(t, 3, cfg)
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		for _, name := range []string{"10.0.0.1", "10.0.0.2"} {
			c := w.net.Host(name).Time()
			for _, d := range []time.Duration{0, -1, 1, 3 * time.Second, -time.Hour, 1 << 40, 1 << 62, math.MaxInt64, math.MinInt64} {
				byTimeout, cancel1 := c.WithTimeout(ctx, d)
				byDeadline, cancel2 := c.WithDeadline(ctx, c.Now().Add(d))
				got, ok1 := byTimeout.Deadline()
				want, ok2 := byDeadline.Deadline()
				assert.True(t, ok1 && ok2)
				assert.Equal(t, want, got, "the deadline of %v on %s", d, name)
				if d < time.Minute {
					_ = p.Time.Sleep(byTimeout, time.Minute)
					ended := p.Time.Now()
					_ = p.Time.Sleep(byDeadline, time.Minute)
					assert.Equal(t, ended, p.Time.Now(), "both end at one instant: %v on %s", d, name)
					assert.Error(t, byDeadline.Err())
				}
				cancel1()
				cancel2()
			}
			// Under a parent whose deadline comes first, the parent's.
			parent, cancel := c.WithTimeout(ctx, time.Second)
			child, cancel2 := c.WithTimeout(parent, time.Hour)
			pd, _ := parent.Deadline()
			cd, _ := child.Deadline()
			assert.Equal(t, pd, cd)
			cancel2()
			cancel()
		}
		return nil
	})
	require.NoError(t, res.Err)
}

// A host's sleeps and timers of math.MaxInt64, Go's "forever", never end,
// also with a buggified delay on top of a drifting clock: the two add up
// past the last instant, which is where they end.
func TestHostWaitsOfForeverNeverEnd(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.MaxClockSkew, cfg.MaxClockDrift = time.Second, 0.1
	cfg.SleepDelayProb, cfg.MaxSleepDelay = 1, time.Hour
	w := newWorld(t, 5, cfg)
	const forever = time.Duration(math.MaxInt64)
	fired := 0
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		for _, name := range []string{"10.0.0.1", "10.0.0.2"} {
			c := w.net.Host(name).Time()
			for range 100 {
				c.AfterFunc(forever, func() { fired++ })
				c.AfterFunc(time.Second, func() { fired++ }).Reset(forever)
				p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
					_ = c.Sleep(ctx, forever)
					fired++
					return nil
				})
			}
		}
		require.NoError(t, p.Time.Sleep(ctx, 10*time.Minute))
		return nil
	})
	require.NoError(t, res.Err)
	assert.Zero(t, fired, "waits of forever that ended")
	assert.NotEmpty(t, events(res, "delayed by"), "the sleeps were delayed")
}
