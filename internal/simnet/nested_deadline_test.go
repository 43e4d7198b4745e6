package simnet_test

import (
	"context"
	"os"
	"time"

	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// A time-out nested in another on a host's clock ends d after it was made
// on that clock, whether the clock runs behind simulated time, ahead of
// it, or with it, and whatever the parent is wrapped in: package
// context's values or cancel, a context of another package's, or the
// context of a task started under it.
func TestNestedTimeoutEndsOnTheHostClock(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		skew := time.Duration(rapid.Int64Range(-int64(time.Second), int64(time.Second)).Draw(rt, "skew"))
		var drift int64
		if rapid.Bool().Draw(rt, "drifts") {
			drift = rapid.Int64Range(-1_000_000, 1_000_000).Draw(rt, "drift")
		}
		if rapid.IntRange(0, 3).Draw(rt, "steady") == 0 {
			skew, drift = 0, 0
		}
		before := time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(rt, "before"))
		outer := time.Duration(rapid.Int64Range(2, int64(10*time.Second)).Draw(rt, "outer"))
		inner := time.Duration(rapid.Int64Range(1, int64(outer)-1).Draw(rt, "inner"))
		wrap := rapid.SampledFrom([]string{"none", "value", "cancel", "task", "foreign"}).Draw(rt, "wrap")
		byDeadline := rapid.Bool().Draw(rt, "by deadline")

		w := newWorld(t, 1, chaos.NoNetworkFaults())
		h := w.net.Host("10.0.0.9")
		simnet.SetClock(h, skew, drift)
		c := h.Time()
		res := w.run(func(ctx context.Context, p providers.Providers) error {
			require.NoError(rt, p.Time.Sleep(ctx, before))
			parent, cancelParent := c.WithTimeout(ctx, outer)
			defer cancelParent()
			switch wrap {
			case "value":
				parent = context.WithValue(parent, wrap, wrap)
			case "cancel":
				var cancel context.CancelFunc
				parent, cancel = context.WithCancel(parent)
				defer cancel()
			case "foreign":
				parent = foreignCtx{parent, make(chan struct{})}
			}
			check := func(parent context.Context) {
				start := c.Now()
				var child context.Context
				var cancel context.CancelFunc
				if byDeadline {
					child, cancel = c.WithDeadline(parent, start.Add(inner))
				} else {
					child, cancel = c.WithTimeout(parent, inner)
				}
				defer cancel()
				dl, ok := child.Deadline()
				require.True(rt, ok)
				require.Equal(rt, start.Add(inner), dl, "the child's deadline on the host's clock")
				require.ErrorIs(rt, p.Time.Sleep(child, 2*time.Hour), context.DeadlineExceeded)
				took := c.Now().Sub(start)
				require.GreaterOrEqual(rt, took, inner, "the child ended early on the host's clock")
				require.LessOrEqual(rt, took, inner+time.Nanosecond, "the child ended late on the host's clock")
			}
			if wrap != "task" {
				check(parent)
				return nil
			}
			return p.Task.Go(parent, "nested", func(ctx context.Context) error {
				check(ctx)
				return nil
			}).Join(ctx)
		})
		require.NoError(rt, res.Err)
	})
}

// On a clock 50ms behind, a time-out of 980ms inside one of a second ends
// at 980ms, not with its parent at one second; ahead and steady, the same.
// The parent is the host's context, or one that wraps it.
func TestNestedTimeoutOnASkewedClock(t *testing.T) {
	for _, skew := range []time.Duration{-50 * time.Millisecond, 0, 50 * time.Millisecond} {
		for _, wrap := range []string{"none", "value", "cancel", "task", "foreign"} {
			w := newWorld(t, 1, chaos.NoNetworkFaults())
			h := w.net.Host("10.0.0.9")
			simnet.SetClock(h, skew, 0)
			c := h.Time()
			res := w.run(func(ctx context.Context, p providers.Providers) error {
				parent, cancelParent := c.WithTimeout(ctx, time.Second)
				defer cancelParent()
				check := func(ctx context.Context) error {
					start := c.Now()
					child, cancel := c.WithTimeout(ctx, 980*time.Millisecond)
					defer cancel()
					assert.ErrorIs(t, p.Time.Sleep(child, time.Hour), context.DeadlineExceeded)
					assert.Equal(t, 980*time.Millisecond, c.Now().Sub(start), "the child's end on a clock %v off, under %s", skew, wrap)
					assert.NoError(t, parent.Err(), "the parent, on a clock %v off, under %s", skew, wrap)
					return nil
				}
				switch wrap {
				case "value":
					return check(context.WithValue(parent, wrap, wrap))
				case "cancel":
					ctx, cancel := context.WithCancel(parent)
					defer cancel()
					return check(ctx)
				case "task":
					return p.Task.Go(parent, "nested", check).Join(ctx)
				case "foreign":
					return check(foreignCtx{parent, make(chan struct{})})
				}
				return check(parent)
			})
			require.NoError(t, res.Err)
		}
	}
}

// foreignCtx is a context of a package neither the world nor package
// context knows: its Done channel is its own, and never closed.
type foreignCtx struct {
	context.Context
	done chan struct{}
}

func (c foreignCtx) Done() <-chan struct{} { return c.done }

// A time-out on a host's clock under a deadline of another clock's (the
// world's, as the test driver's, or another host's) that ends first
// reports that deadline on its own host's clock: the host's clock reads it
// when the context ends.
func TestNestedDeadlineReadsOnTheHostClock(t *testing.T) {
	for _, skew := range []time.Duration{-50 * time.Millisecond, 0, 50 * time.Millisecond} {
		for _, from := range []string{"world", "other host", "same host"} {
			w := newWorld(t, 1, chaos.NoNetworkFaults())
			h := w.net.Host("10.0.0.9")
			simnet.SetClock(h, skew, 0)
			other := w.net.Host("10.0.0.8")
			simnet.SetClock(other, -skew/2+time.Millisecond, 1000)
			c := h.Time()
			res := w.run(func(ctx context.Context, p providers.Providers) error {
				parentClock := map[string]providers.Time{"world": p.Time, "other host": other.Time(), "same host": c}[from]
				parent, cancelParent := parentClock.WithTimeout(ctx, time.Second)
				defer cancelParent()
				child, cancel := c.WithTimeout(parent, time.Hour)
				defer cancel()
				dl, ok := child.Deadline()
				require.True(t, ok)
				assert.ErrorIs(t, p.Time.Sleep(child, 2*time.Hour), context.DeadlineExceeded)
				assert.Equal(t, c.Now(), dl, "the deadline of a child of a deadline on the %s's clock, on a clock %v off", from, skew)
				return nil
			})
			require.NoError(t, res.Err)
		}
	}
}

// Whatever clocks a time-out on a host and the deadline above it are on,
// the time-out ends when its host's clock reads the deadline it reports
// (within the nanosecond a fast clock can skip), and never after its
// own duration.
func TestHostDeadlineEndsWhenTheHostClockReadsIt(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := newWorld(t, 1, chaos.NoNetworkFaults())
		h, other := w.net.Host("10.0.0.9"), w.net.Host("10.0.0.8")
		for _, h := range []*simnet.Host{h, other} {
			skew := time.Duration(rapid.Int64Range(-int64(time.Second), int64(time.Second)).Draw(rt, h.Host()+" skew"))
			simnet.SetClock(h, skew, rapid.Int64Range(-1_000_000, 1_000_000).Draw(rt, h.Host()+" drift"))
		}
		from := rapid.SampledFrom([]string{"world", "other host", "same host"}).Draw(rt, "parent's clock")
		outer := time.Duration(rapid.Int64Range(1, int64(10*time.Second)).Draw(rt, "outer"))
		inner := time.Duration(rapid.Int64Range(1, int64(10*time.Second)).Draw(rt, "inner"))
		c := h.Time()
		res := w.run(func(ctx context.Context, p providers.Providers) error {
			parentClock := map[string]providers.Time{"world": p.Time, "other host": other.Time(), "same host": c}[from]
			parent, cancelParent := parentClock.WithTimeout(ctx, outer)
			defer cancelParent()
			start := c.Now()
			child, cancel := c.WithTimeout(parent, inner)
			defer cancel()
			dl, ok := child.Deadline()
			require.True(rt, ok)
			require.LessOrEqual(rt, dl, start.Add(inner), "the deadline is at most the child's own")
			require.ErrorIs(rt, p.Time.Sleep(child, time.Hour), context.DeadlineExceeded)
			end := c.Now()
			require.GreaterOrEqual(rt, end, dl, "the child ended before its host's clock read its deadline")
			require.LessOrEqual(rt, end, dl.Add(time.Nanosecond), "the child ended after its host's clock read its deadline")
			return nil
		})
		require.NoError(rt, res.Err)
	})
}

// A client on a skewed host that hands its context's deadline to its
// connection (conn.SetDeadline(ctx.Deadline())) has the read end when the
// context does, also when the deadline is its caller's, on the world's
// clock.
func TestConnDeadlineFromANestedContextEndsWithIt(t *testing.T) {
	for _, skew := range []time.Duration{-50 * time.Millisecond, 50 * time.Millisecond} {
		w := newWorld(t, 1, chaos.NoNetworkFaults())
		h := w.net.Host("10.0.0.9")
		simnet.SetClock(h, skew, 0)
		res := w.run(func(ctx context.Context, p providers.Providers) error {
			server, client := on(p, w.net.Host("10.0.0.8")), on(p, h)
			l, err := server.Network.Listen(ctx, ":1")
			require.NoError(t, err)
			defer l.Close()
			caller, cancelCaller := p.Time.WithTimeout(ctx, time.Second) // the driver's
			defer cancelCaller()
			callCtx, cancel := client.Time.WithTimeout(caller, time.Minute)
			defer cancel()
			conn, err := client.Network.Dial(callCtx, "10.0.0.8:1")
			require.NoError(t, err)
			defer conn.Close()
			dl, _ := callCtx.Deadline()
			require.NoError(t, conn.SetReadDeadline(dl))
			_, err = conn.Read(make([]byte, 1))
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
			assert.Equal(t, sim.Epoch.Add(time.Second), p.Time.Now(), "the read ended with the caller's deadline, on a clock %v off", skew)
			return nil
		})
		require.NoError(t, res.Err)
	}
}
