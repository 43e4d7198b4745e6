package simnet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// oneWayTimes sends count 1-byte messages from client to server, one at a
// time, and returns how long each took to arrive.
func oneWayTimes(t *testing.T, seed uint64, cfg chaos.Network, count int) []time.Duration {
	var took []time.Duration
	simulate(t, seed, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		b := make([]byte, 1)
		for range count {
			sent := client.Time.Now()
			_, err := c.Write(b)
			require.NoError(t, err)
			_, err = io.ReadFull(s, b)
			require.NoError(t, err)
			took = append(took, client.Time.Now().Sub(sent))
		}
		return nil
	})
	return took
}

func TestLatencyUniform(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: 3 * time.Millisecond}}}
	took := oneWayTimes(t, 1, cfg, 500)
	assert.GreaterOrEqual(t, slices.Min(took), time.Millisecond)
	assert.LessOrEqual(t, slices.Max(took), 3*time.Millisecond)
	assert.Less(t, slices.Min(took), 1100*time.Microsecond, "spread over the range")
	assert.Greater(t, slices.Max(took), 2900*time.Microsecond, "spread over the range")
}

func TestLatencyExponential(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{Shape: chaos.LatencyExponential, Fast: chaos.Range{Min: time.Millisecond, Max: 20 * time.Millisecond}, Mean: 2 * time.Millisecond}}
	took := oneWayTimes(t, 2, cfg, 2000)
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	mean := sum / time.Duration(len(took))
	assert.InDelta(t, float64(3*time.Millisecond), float64(mean), float64(300*time.Microsecond), "Min plus the mean")
	assert.GreaterOrEqual(t, slices.Min(took), time.Millisecond)
	assert.LessOrEqual(t, slices.Max(took), 20*time.Millisecond, "capped at Max")
}

func TestLatencySlowTail(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{
		Fast:     chaos.Range{Min: 100 * time.Microsecond, Max: 100 * time.Microsecond},
		SlowProb: 0.02, Slow: chaos.Range{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond},
	}}
	took := oneWayTimes(t, 3, cfg, 1000)
	slow := 0
	for _, d := range took {
		if d >= 10*time.Millisecond {
			slow++
		} else {
			assert.Equal(t, 100*time.Microsecond, d)
		}
	}
	assert.InDelta(t, 20, slow, 12, "about 2%% of packets take the slow mode")

	// A resilient client survives a slow tail longer than its timeout.
	cfg = chaos.NoNetworkFaults()
	cfg.Latency.SlowProb, cfg.Latency.Slow.Min, cfg.Latency.Slow.Max = 0.05, 100*time.Millisecond, 400*time.Millisecond
	res, cl := survive(t, 3, cfg, 200)
	assert.NotEmpty(t, events(res, "slow packet"))
	assert.Positive(t, cl.errs["timeout"], "some calls timed out and were retried")
}

func TestPairLatencyIsStablePerPair(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}, MaxPairLatency: 5 * time.Millisecond}
	w := newWorld(t, 4, cfg)
	took := map[string][]time.Duration{}
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		hosts := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}
		for _, h := range hosts {
			l, err := w.net.SteadyHost(h).Listen(ctx, ":7")
			require.NoError(t, err)
			serveEcho(ctx, on(p, w.net.SteadyHost(h)), l)
		}
		for _, from := range hosts {
			for _, to := range hosts {
				if from == to {
					continue
				}
				c, err := w.net.SteadyHost(from).Dial(ctx, to+":7")
				require.NoError(t, err)
				for range 5 {
					start := p.Time.Now()
					require.NoError(t, writeFrame(c, []byte("x")))
					_, err := readFrame(c)
					require.NoError(t, err)
					took[from+"-"+to] = append(took[from+"-"+to], p.Time.Now().Sub(start))
				}
			}
		}
		return nil
	})
	require.NoError(t, res.Err)
	distinct := map[time.Duration]bool{}
	for pair, ds := range took {
		for _, d := range ds {
			assert.Equal(t, ds[0], d, "every round trip of %s takes the same time", pair)
		}
		assert.GreaterOrEqual(t, ds[0], 2*time.Millisecond)
		distinct[ds[0]] = true
	}
	assert.Equal(t, took["10.0.0.1-10.0.0.2"][0], took["10.0.0.2-10.0.0.1"][0], "the extra latency is the pair's, both ways")
	assert.Greater(t, len(distinct), 1, "pairs differ")
	assert.Len(t, events(res, "extra latency"), 3)
}

func TestRandomPartitions(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 2 * time.Second
	cfg.PartitionDuration.Min, cfg.PartitionDuration.Max = 300*time.Millisecond, time.Second
	cfg.PartitionOneWayProb = 0.5
	res, cl := survive(t, 5, cfg, 3000)
	parts := events(res, "random partition {")
	assert.GreaterOrEqual(t, len(parts), 2, "partitions happened: %v", parts)
	assert.NotEmpty(t, events(res, "random partition healed"))
	assert.Positive(t, cl.errs["timeout"], "calls across the partition timed out, and were retried")
}

// A random partition starts and ends on the network's own schedule, and is
// told as the network's, not as the task whose operation came when it was
// due: that task did not cause it.
func TestRandomPartitionNamesNoTask(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 2 * time.Second
	cfg.PartitionDuration.Min, cfg.PartitionDuration.Max = 300*time.Millisecond, time.Second
	res := simulate(t, 5, cfg, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		serveEcho(ctx, server, l)
		cl := newClient(client, "10.0.0.2:7")
		return client.Task.Go(ctx, "caller", func(ctx context.Context) error {
			for i := range 200 {
				// An idle network between calls: the call's own operation
				// is the first to see that a partition is due.
				if err := client.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
				if err := cl.call(ctx, []byte{byte(i)}); err != nil {
					return fmt.Errorf("call %d: %w", i, err)
				}
			}
			return nil
		}).Join(ctx)
	})
	parts := events(res, "random partition")
	require.GreaterOrEqual(t, len(parts), 2, "partitions happened")
	for _, e := range res.Timeline {
		if strings.Contains(e.Msg, "random partition") {
			assert.Empty(t, e.Task, "the network's own fault names no task: %s", e)
			assert.Empty(t, e.Process, "nor a process: %s", e)
		}
	}
}

// A host's label names it in the lines of the random partitions, as a
// report names the test driver rather than by its address; the trace
// hashes the lines as they were, so every run's trace stays as it was.
func TestALabelNamesAHostInRandomPartitionsAndLeavesTheTrace(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 2 * time.Second
	cfg.PartitionDuration.Min, cfg.PartitionDuration.Max = 300*time.Millisecond, time.Second
	run := func(label string) sim.Result {
		w := newWorld(t, 5, cfg)
		if label != "" {
			w.net.SteadyHost("10.0.0.1").SetLabel(label)
		}
		return w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			l, err := server.Network.Listen(ctx, ":7")
			if err != nil {
				return err
			}
			serveEcho(ctx, server, l)
			cl := newClient(client, "10.0.0.2:7")
			for i := range 100 {
				if err := client.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
				if err := cl.call(ctx, []byte{byte(i)}); err != nil {
					return fmt.Errorf("call %d: %w", i, err)
				}
			}
			return nil
		})
	}
	plain, labelled := run(""), run("driver")
	assert.Equal(t, plain.Trace, labelled.Trace, "the trace hashes the lines as they were")
	parts := events(labelled, "random partition {")
	require.NotEmpty(t, parts)
	assert.Equal(t, strings.ReplaceAll(strings.Join(events(plain, "random partition {"), "\n"), "10.0.0.1", "driver"), strings.Join(parts, "\n"))
	for _, p := range parts {
		assert.NotContains(t, p, "10.0.0.1")
	}
}

func TestManualPartitionHoldsTrafficUntilHeal(t *testing.T) {
	w := newWorld(t, 6, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		a, b := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.SteadyHost("10.0.0.2"))
		c, s := pair(t, ctx, a, b)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		_, err := c.Write([]byte("held"))
		require.NoError(t, err, "a write does not know about the partition")
		require.NoError(t, s.SetReadDeadline(p.Time.Now().Add(time.Second)))
		_, err = s.Read(make([]byte, 4))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing crosses the partition")

		dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		_, err = a.Network.Dial(dctx, "10.0.0.2:1")
		cancel()
		assertDialTimedOut(t, err, "a connect across a partition hangs, even to a closed port")

		w.net.Heal()
		require.NoError(t, s.SetReadDeadline(time.Time{}))
		buf := make([]byte, 4)
		_, err = io.ReadFull(s, buf)
		require.NoError(t, err)
		assert.Equal(t, "held", string(buf), "the held data arrives after the heal")
		return nil
	})
	require.NoError(t, res.Err)
	assert.NotEmpty(t, events(res, "partition {10.0.0.1} | {10.0.0.2}"))
	assert.NotEmpty(t, events(res, "net: heal"))
}

// HealBetween lifts the cut, clog and slow link of one pair of groups,
// both ways, and the traffic they held goes on; another pair's cut and an
// isolated host stay cut until Heal.
func TestHealBetweenEndsOnePairsFaults(t *testing.T) {
	w := newWorld(t, 6, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		a, b, c := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.SteadyHost("10.0.0.2")), on(p, w.net.SteadyHost("10.0.0.3"))
		ab, ba := pair(t, ctx, a, b)
		ac, ca := pair(t, ctx, a, c)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2", "10.0.0.3"})
		w.net.Slow("10.0.0.2", "10.0.0.1", time.Hour)
		w.net.Isolate("10.0.0.4")
		for _, conn := range []net.Conn{ab, ac} {
			_, err := conn.Write([]byte("held"))
			require.NoError(t, err)
		}
		require.NoError(t, ba.SetReadDeadline(p.Time.Now().Add(time.Second)))
		_, err := ba.Read(make([]byte, 4))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing crosses the partition")

		w.net.HealBetween([]string{"10.0.0.2"}, []string{"10.0.0.1"})
		require.NoError(t, ba.SetReadDeadline(time.Time{}))
		buf := make([]byte, 4)
		_, err = io.ReadFull(ba, buf)
		require.NoError(t, err)
		assert.Equal(t, "held", string(buf), "the data the healed cut held arrives")
		start := p.Time.Now()
		_, err = ba.Write([]byte("back"))
		require.NoError(t, err)
		_, err = io.ReadFull(ab, buf)
		require.NoError(t, err)
		assert.Less(t, p.Time.Now().Sub(start), time.Minute, "the slow link of the healed pair ended too")

		require.NoError(t, ca.SetReadDeadline(p.Time.Now().Add(5*time.Second)))
		_, err = ca.Read(buf)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the other pair's cut stays")
		dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		_, err = a.Network.Dial(dctx, "10.0.0.4:1")
		cancel()
		assertDialTimedOut(t, err, "an isolated host stays cut off")

		w.net.Heal()
		require.NoError(t, ca.SetReadDeadline(time.Time{}))
		_, err = io.ReadFull(ca, buf)
		require.NoError(t, err)
		assert.Equal(t, "held", string(buf), "Heal ends the rest")
		return nil
	})
	require.NoError(t, res.Err)
	assert.NotEmpty(t, events(res, "net: heal {10.0.0.2} | {10.0.0.1}"))
}

func TestOneWayPartition(t *testing.T) {
	w := newWorld(t, 7, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		a, b := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.SteadyHost("10.0.0.2"))
		c, s := pair(t, ctx, a, b)
		w.net.PartitionOneWay([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		_, err := s.Write([]byte("flows"))
		require.NoError(t, err)
		buf := make([]byte, 5)
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err, "the other direction flows")
		_, err = c.Write([]byte("held"))
		require.NoError(t, err)
		require.NoError(t, s.SetReadDeadline(p.Time.Now().Add(time.Second)))
		_, err = s.Read(buf)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		return nil
	})
	require.NoError(t, res.Err)
}

func TestIsolate(t *testing.T) {
	w := newWorld(t, 8, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		for _, h := range []string{"10.0.0.2", "10.0.0.3"} {
			l, err := w.net.SteadyHost(h).Listen(ctx, ":7")
			require.NoError(t, err)
			serveEcho(ctx, p, l)
		}
		w.net.Isolate("10.0.0.2")
		a := w.net.SteadyHost("10.0.0.1")
		dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		_, err := a.Dial(dctx, "10.0.0.2:7")
		cancel()
		assertDialTimedOut(t, err)
		_, err = a.Dial(ctx, "10.0.0.3:7")
		assert.NoError(t, err, "only the isolated host is cut off")
		w.net.Heal()
		_, err = a.Dial(ctx, "10.0.0.2:7")
		assert.NoError(t, err)
		return nil
	})
	require.NoError(t, res.Err)
}

func TestClogging(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}, ClogProb: 1, ClogDuration: chaos.Range{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond}}
	took := oneWayTimes(t, 9, cfg, 3)
	for _, d := range took {
		assert.Equal(t, 50*time.Millisecond, d, "every write clogs its link for 50ms, and its packet waits for the clog")
	}

	w := newWorld(t, 9, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		a, b := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.SteadyHost("10.0.0.2"))
		c, s := pair(t, ctx, a, b)
		w.net.Clog("10.0.0.1", "10.0.0.2", time.Second)
		start := p.Time.Now()
		_, err := c.Write([]byte("x"))
		require.NoError(t, err)
		_, err = s.Read(make([]byte, 1))
		require.NoError(t, err)
		assert.Equal(t, time.Second, p.Time.Now().Sub(start))

		// A clog of forever holds traffic, and Heal lets it go at once.
		w.net.Clog("10.0.0.1", "10.0.0.2", math.MaxInt64)
		_, err = c.Write([]byte("y"))
		require.NoError(t, err)
		p.Time.Sleep(ctx, 10*time.Minute)
		require.NoError(t, s.SetReadDeadline(p.Time.Now().Add(time.Millisecond)))
		_, err = s.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "still clogged ten minutes on")
		require.NoError(t, s.SetReadDeadline(time.Time{}))
		w.net.Heal()
		start = p.Time.Now()
		_, err = s.Read(make([]byte, 1))
		require.NoError(t, err)
		assert.Equal(t, time.Duration(0), p.Time.Now().Sub(start))
		return nil
	})
	require.NoError(t, res.Err)
	assert.NotEmpty(t, events(res, "clog 10.0.0.1 -> 10.0.0.2 for 1s"))

	cfg = chaos.NoNetworkFaults()
	cfg.ClogProb, cfg.ClogDuration.Min, cfg.ClogDuration.Max = 0.05, 100*time.Millisecond, 500*time.Millisecond
	res, cl := survive(t, 9, cfg, 300)
	assert.NotEmpty(t, events(res, "clog"))
	assert.Positive(t, cl.errs["timeout"])
}

// A slow link adds its latency to every packet one way, the other way
// keeps its own, data arrives in order as the slowing starts and ends, and
// Heal ends it.
func TestSlowLink(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.Latency = chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}
	w := newWorld(t, 9, cfg)
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		a, b := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.SteadyHost("10.0.0.2"))
		c, s := pair(t, ctx, a, b)
		oneWay := func(from, to net.Conn) time.Duration {
			start := p.Time.Now()
			_, err := from.Write([]byte("x"))
			require.NoError(t, err)
			_, err = io.ReadFull(to, make([]byte, 1))
			require.NoError(t, err)
			return p.Time.Now().Sub(start)
		}
		w.net.Slow("10.0.0.1", "10.0.0.2", 300*time.Millisecond)
		assert.Equal(t, 301*time.Millisecond, oneWay(c, s), "slowed")
		assert.Equal(t, time.Millisecond, oneWay(s, c), "the other way is not")

		// Data sent slowed, then after the slowing ends, arrives in order.
		_, err := c.Write([]byte("1"))
		require.NoError(t, err)
		w.net.Slow("10.0.0.1", "10.0.0.2", 0)
		_, err = c.Write([]byte("2"))
		require.NoError(t, err)
		got := make([]byte, 2)
		_, err = io.ReadFull(s, got)
		require.NoError(t, err)
		assert.Equal(t, "12", string(got))
		assert.Equal(t, time.Millisecond, oneWay(c, s), "0 ends it")

		w.net.Slow("10.0.0.1", "10.0.0.2", time.Second)
		w.net.Heal()
		assert.Equal(t, time.Millisecond, oneWay(c, s), "Heal ends it")
		return nil
	})
	require.NoError(t, res.Err)
	assert.NotEmpty(t, events(res, "slow link 10.0.0.1 -> 10.0.0.2: 300ms more latency"))
	assert.NotEmpty(t, events(res, "slow link 10.0.0.1 -> 10.0.0.2 ends"))
}

func TestRandomCloseExplicit(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.CloseProb, cfg.CloseExplicitProb = 0.02, 1
	res, cl := survive(t, 10, cfg, 500)
	assert.NotEmpty(t, events(res, "random close"))
	assert.NotEmpty(t, events(res, ": reset"))
	resets := cl.errs["read: read: connection reset by peer"] + cl.errs["write: write: connection reset by peer"] + cl.errs["write: write: broken pipe"]
	assert.Positive(t, resets, "the client saw resets: %v", cl.errs)
}

func TestRandomCloseSilent(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.CloseProb, cfg.CloseExplicitProb = 0.02, 0
	res, cl := survive(t, 11, cfg, 500)
	assert.NotEmpty(t, events(res, "silent"))
	assert.Positive(t, cl.errs["timeout"], "a silent close shows only as a timeout: %v", cl.errs)
}

func TestRandomCloseCooldown(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.CloseProb, cfg.CloseExplicitProb, cfg.CloseCooldown = 1, 1, time.Hour
	res, _ := survive(t, 12, cfg, 50)
	assert.Len(t, events(res, "random close"), 1, "one random close per cooldown")
}

func TestPartialReads(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.PartialReadProb = 1
	simulate(t, 13, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		_, err := c.Write(make([]byte, 100))
		require.NoError(t, err)
		client.Time.Sleep(ctx, time.Second)
		n, err := s.Read(make([]byte, 100))
		require.NoError(t, err)
		assert.Less(t, n, 100, "all 100 bytes have arrived, and the read returns fewer")
		assert.Positive(t, n)
		return nil
	})
	res, _ := survive(t, 13, cfg, 100)
	assert.NotEmpty(t, events(res, "partial read"))
}

func TestPartialWrites(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.PartialWriteProb = 1
	cfg.Latency = chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: 10 * time.Millisecond}}
	split := 0
	simulate(t, 14, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		for range 20 {
			n, err := c.Write(make([]byte, 100))
			require.NoError(t, err)
			assert.Equal(t, 100, n, "a Go write never returns short without an error")
			n, err = s.Read(make([]byte, 1000))
			require.NoError(t, err)
			if n < 100 {
				split++
				_, err = io.ReadFull(s, make([]byte, 100-n))
				require.NoError(t, err)
			}
		}
		return nil
	})
	assert.Positive(t, split, "the reader saw a write's first part before the rest")
	res, _ := survive(t, 14, cfg, 100)
	assert.NotEmpty(t, events(res, "partial write"))
}

func TestBitFlips(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.BitFlipProb = 1
	simulate(t, 15, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		sent := make([]byte, 1000)
		_, err := c.Write(sent)
		require.NoError(t, err)
		got := make([]byte, 1000)
		_, err = io.ReadFull(s, got)
		require.NoError(t, err)
		assert.NotEqual(t, sent, got, "the segment arrives corrupt")
		return nil
	})
	cfg.BitFlipProb = 0.1
	res, cl := survive(t, 15, cfg, 200)
	assert.NotEmpty(t, events(res, "bit flip"))
	assert.Positive(t, cl.errs["corrupt"], "the checksum caught the flips: %v", cl.errs)
}

func TestConnectFaults(t *testing.T) {
	for _, c := range []struct {
		name string
		hang float64
	}{{"refused", 0}, {"hang", 1}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := chaos.NoNetworkFaults()
			cfg.ConnectFailProb, cfg.ConnectHangProb = 1, c.hang
			res := simulate(t, 16, cfg, func(ctx context.Context, client, server providers.Providers) error {
				_, err := server.Network.Listen(ctx, ":7")
				require.NoError(t, err)
				dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
				defer cancel()
				_, err = client.Network.Dial(dctx, "10.0.0.2:7")
				if c.hang == 0 {
					assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "refused though someone listens: %v", err)
				} else {
					var ne net.Error
					require.ErrorAs(t, err, &ne)
					assert.True(t, ne.Timeout(), "the connect hangs until its context ends: %v", err)
				}
				return nil
			})
			assert.NotEmpty(t, events(res, "connect 10.0.0.1 -> 10.0.0.2:7 "))

			cfg.ConnectFailProb = 0.3
			_, cl := survive(t, 16, cfg, 100, freshConns)
			assert.Positive(t, cl.retries, "the client retried failed connects: %v", cl.errs)
		})
	}
}

func TestEverythingAtOnce(t *testing.T) {
	cfg := chaos.DefaultNetwork()
	cfg.PartitionInterval = 5 * time.Second
	cfg.CloseProb = 0.001
	cfg.PartialReadProb, cfg.PartialWriteProb = 0.2, 0.2
	cfg.BitFlipProb = 0.01
	cfg.ConnectFailProb = 0.1
	cfg.ClogProb = 0.01
	for seed := range uint64(5) {
		survive(t, seed, cfg, 300)
	}
}

// zonedPartitions runs six hosts, each pair in a zone of its own when
// zoned, that dial each other every 100 ms for ten simulated minutes
// under frequent random partitions, and returns the partitions' events.
func zonedPartitions(t *testing.T, zoned bool) []string {
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 2 * time.Second
	cfg.PartitionDuration.Min, cfg.PartitionDuration.Max = 300*time.Millisecond, time.Second
	w := newWorld(t, 7, cfg)
	var hosts []*simnet.Host
	for i := range 6 {
		h := w.net.SteadyHost(fmt.Sprintf("10.0.0.%d", i+1))
		if zoned {
			h.SetLocality("", fmt.Sprintf("z%d", i/2))
		}
		hosts = append(hosts, h)
	}
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		for i := range 6000 {
			if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
			dctx, cancel := p.Time.WithTimeout(ctx, 10*time.Millisecond)
			if c, err := hosts[i%6].Dial(dctx, hosts[(i+1)%6].Host()+":7"); err == nil {
				_ = c.Close()
			}
			cancel()
		}
		return nil
	})
	require.NoError(t, res.Err)
	return events(res, "random partition")
}

// Where the hosts are in zones, a random partition may cut one zone off
// from the rest: its hosts, all of them, on one side. Without zones no
// partition says so.
func TestRandomPartitionsCutAZoneOff(t *testing.T) {
	members := map[string]string{
		"z0": "{10.0.0.1 10.0.0.2} | {10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6}",
		"z1": "{10.0.0.3 10.0.0.4} | {10.0.0.1 10.0.0.2 10.0.0.5 10.0.0.6}",
		"z2": "{10.0.0.5 10.0.0.6} | {10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4}",
	}
	cut := map[string]int{}
	for _, e := range zonedPartitions(t, true) {
		_, rest, ok := strings.Cut(e, "random partition of zone ")
		if !ok {
			continue
		}
		zone, sides, _ := strings.Cut(rest, ": ")
		require.Contains(t, members, zone, e)
		want := members[zone]
		if strings.Contains(sides, "->") {
			want = strings.Replace(want, "|", "->", 1)
		}
		assert.True(t, strings.HasPrefix(sides, want), "a zone's hosts against the rest: %s", e)
		cut[zone]++
	}
	assert.Len(t, cut, 3, "every zone was cut off in some partition: %v", cut)

	plain := zonedPartitions(t, false)
	assert.GreaterOrEqual(t, len(plain), 20, "partitions happened")
	for _, e := range plain {
		assert.NotContains(t, e, "of zone", "no zones, no zone's partition")
	}
}

// A random partition's line names each side's hosts in the order they
// were made, whatever order the shuffle drew them in, so that a side of
// many hosts can be scanned.
func TestRandomPartitionSidesReadInCreationOrder(t *testing.T) {
	order := map[string]int{}
	for i := range 6 {
		order[fmt.Sprintf("10.0.0.%d", i+1)] = i
	}
	sideRe := regexp.MustCompile(`\{([^}]*)\}`)
	lines := zonedPartitions(t, false)
	require.GreaterOrEqual(t, len(lines), 20, "partitions happened")
	for _, e := range lines {
		if strings.HasSuffix(e, "healed") {
			continue
		}
		sides := sideRe.FindAllStringSubmatch(e, -1)
		require.Len(t, sides, 2, e)
		for _, side := range sides {
			hosts := strings.Fields(side[1])
			assert.True(t, slices.IsSortedFunc(hosts, func(a, b string) int { return order[a] - order[b] }), "in creation order: %s", e)
		}
	}
}
