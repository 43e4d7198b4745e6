package simnet_test

import (
	"context"
	"os"
	"time"

	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// TestTimersNeverFireEarly checks Go's promise on every kind of wait on a
// drifting, skewed host clock: it ends when the host's own clock has moved
// by at least its duration, and no later than the clock's resolution
// allows (one nanosecond of a fast clock can read as two).
func TestTimersNeverFireEarly(t *testing.T) {
	early := 0
	rapid.Check(t, func(rt *rapid.T) {
		cfg := chaos.NoNetworkFaults()
		cfg.MaxClockSkew = time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "skew"))
		cfg.MaxClockDrift = rapid.Float64Range(0, 0.01).Draw(rt, "drift")
		seed := rapid.Uint64().Draw(rt, "seed")
		durs := rapid.SliceOfN(rapid.Int64Range(1, int64(10*time.Minute)), 1, 8).Draw(rt, "durations")
		kind := rapid.SampledFrom([]string{"Sleep", "AfterFunc", "Reset", "WithTimeout", "WithDeadline", "Select", "ReadDeadline"}).Draw(rt, "kind")

		w := newWorld(t, seed, cfg)
		res := w.run(func(ctx context.Context, p providers.Providers) error {
			h := w.net.Host("10.0.0.9")
			c := h.Time()
			for _, n := range durs {
				d := time.Duration(n)
				start := c.Now()
				var fired time.Time
				switch kind {
				case "Sleep":
					require.NoError(rt, c.Sleep(ctx, d))
					fired = c.Now()
				case "AfterFunc", "Reset":
					done := providers.NewChan[struct{}](p.Task, 1)
					tm := c.AfterFunc(d, func() { fired = c.Now(); done.TrySend(struct{}{}) })
					if kind == "Reset" {
						require.NoError(rt, c.Sleep(ctx, d/3))
						start = c.Now()
						tm.Reset(d)
					}
					_, _, err := done.Recv(ctx)
					require.NoError(rt, err)
				case "WithTimeout", "WithDeadline":
					var dctx context.Context
					var cancel context.CancelFunc
					if kind == "WithTimeout" {
						dctx, cancel = c.WithTimeout(ctx, d)
					} else {
						dctx, cancel = c.WithDeadline(ctx, start.Add(d))
					}
					require.ErrorIs(rt, p.Time.Sleep(dctx, 2*time.Hour), context.DeadlineExceeded)
					fired = c.Now()
					cancel()
				case "Select":
					never := providers.NewChan[int](p.Task, 0)
					tctx, cancel := c.WithTimeout(ctx, d)
					err := providers.Select(tctx, providers.OnRecv(never, func(int, bool) {}))
					require.ErrorIs(rt, err, context.DeadlineExceeded)
					fired = c.Now()
					cancel()
				case "ReadDeadline":
					start, fired = readDeadline(rt, ctx, p, w, d)
				}
				took := fired.Sub(start)
				if took < d {
					early++
				}
				require.GreaterOrEqual(rt, took, d, "%s(%v) ended early on the host's clock", kind, d)
				require.LessOrEqual(rt, took, d+time.Nanosecond, "%s(%v) ended later than needed", kind, d)
			}
			return nil
		})
		require.NoError(rt, res.Err)
	})
	require.Zero(t, early)
}

// readDeadline sets a read deadline d from now on a connection from the
// host 10.0.0.9, waits for it, and returns the host's times at the start
// and the end.
func readDeadline(t require.TestingT, ctx context.Context, p providers.Providers, w *world, d time.Duration) (start, end time.Time) {
	server := on(p, w.net.Host("10.0.0.8"))
	client := on(p, w.net.Host("10.0.0.9"))
	l, err := server.Network.Listen(ctx, ":1")
	require.NoError(t, err)
	defer l.Close()
	c, err := client.Network.Dial(ctx, "10.0.0.8:1")
	require.NoError(t, err)
	defer c.Close()
	start = client.Time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(d)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	return start, client.Time.Now()
}
