package simnet_test

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// keepAliveConn is what *net.TCPConn offers for keep-alives, and the
// simulated connection too.
type keepAliveConn interface {
	SetKeepAlive(bool) error
	SetKeepAlivePeriod(time.Duration) error
	SetKeepAliveConfig(net.KeepAliveConfig) error
}

// probingClientPair is pair with the server's probes off, so that only
// the client counts: the server's drop would reset it.
func probingClientPair(t *testing.T, ctx context.Context, client, server providers.Providers) (c, s net.Conn) {
	t.Helper()
	c, s = pair(t, ctx, client, server)
	require.NoError(t, s.(keepAliveConn).SetKeepAlive(false))
	return c, s
}

// exchange sends a byte from a to b and returns the simulated time at
// which it arrived: the last time either end heard from the other.
func exchange(t *testing.T, w *world, a, b net.Conn) time.Duration {
	t.Helper()
	_, err := a.Write([]byte("x"))
	require.NoError(t, err)
	_, err = io.ReadFull(b, make([]byte, 1))
	require.NoError(t, err)
	return w.w.Now()
}

// requireKeepAliveDrop checks that err is what a read or write of an end
// that dropped its connection after unanswered probes returns, as on
// Linux: ETIMEDOUT, a timeout, no deadline.
func requireKeepAliveDrop(t *testing.T, err error, op string) {
	t.Helper()
	require.ErrorIs(t, err, syscall.ETIMEDOUT)
	assert.Contains(t, err.Error(), op+": connection timed out")
	assert.True(t, os.IsTimeout(err))
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded)
}

// Go turns keep-alives on for every connection it dials or accepts: an
// idle end whose peer a fault cuts off drops the connection after nine
// probes go unanswered, 150 s after it last heard from the peer, probes
// answered before the fault included. Its next call fails with
// ETIMEDOUT, once.
func TestKeepAliveDropsAnIdleEndCutOff(t *testing.T) {
	cases := []struct {
		name  string
		after time.Duration // from the last exchange to the fault
		cut   func(w *world)
		drop  time.Duration // from the last exchange
	}{
		{"partition at once", 0, func(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }, 150 * time.Second},
		{"partition at 10s", 10 * time.Second, func(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }, 150 * time.Second},
		{"partition at the first probe", 15 * time.Second, func(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }, 150 * time.Second},
		{"partition after two probes answered", 40 * time.Second, func(w *world) { w.net.Isolate("10.0.0.2") }, 180 * time.Second},
		{"way there cut", 0, func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }, 150 * time.Second},
		{"way back cut", 0, func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"}) }, 150 * time.Second},
		{"peer's host off", 100 * time.Second, func(w *world) { w.net.Host("10.0.0.2").PowerOff() }, 240 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 30, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := probingClientPair(t, ctx, client, server)
				heard := exchange(t, w, sv, cl)
				require.NoError(t, client.Time.Sleep(ctx, c.after))
				c.cut(w)
				_, err := cl.Read(make([]byte, 1))
				requireKeepAliveDrop(t, err, "read")
				assert.Equal(t, c.drop, w.w.Now()-heard)
				k, err := cl.Read(make([]byte, 1))
				assert.Zero(t, k)
				assert.Same(t, io.EOF, err, "told once")
				return cl.Close()
			})
			assert.Len(t, events(res, "timed out: 9 keep-alive probes unanswered"), 1)
		})
	}
}

// A fault that ends before the drop leaves the connection as it was:
// the next probe is answered. The probes count from the first fault's
// start when a second one begins before that probe goes out, and from
// the answered probe when it went out.
func TestKeepAliveCountsAgainAfterAnAnsweredProbe(t *testing.T) {
	cases := []struct {
		name string
		gap  time.Duration // from the heal to the next partition
		drop time.Duration // from the last exchange
	}{
		{"no probe between the cuts", 5 * time.Second, 150 * time.Second},
		{"a probe answered between them", 20 * time.Second, 105*time.Second + 150*time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 31, chaos.NoNetworkFaults())
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := probingClientPair(t, ctx, client, server)
				heard := exchange(t, w, sv, cl)
				cut := func() { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }
				cut()
				h := client.Task.Go(ctx, "faults", func(ctx context.Context) error {
					// Healed at 92 s, after the probes of 15 to 90 s went
					// unanswered; the next probe goes out at 105 s.
					if err := client.Time.Sleep(ctx, 92*time.Second); err != nil {
						return err
					}
					w.net.Heal()
					if err := client.Time.Sleep(ctx, c.gap); err != nil {
						return err
					}
					cut()
					return nil
				})
				_, err := cl.Read(make([]byte, 1))
				requireKeepAliveDrop(t, err, "read")
				assert.Equal(t, c.drop, w.w.Now()-heard)
				require.NoError(t, h.Join(ctx))
				return cl.Close()
			})
		})
	}
}

// An idle end whose peer's host comes back from a power loss gets a
// reset at its next probe, which finds no socket there; one whose peer's
// host stays off past the last probe drops the connection, though the
// host comes back before the drop.
func TestKeepAliveFindsAPeerThatLostItsSocket(t *testing.T) {
	cases := []struct {
		name    string
		powerOn time.Duration // from the last exchange
		at      time.Duration // when the end learns, from the last exchange
		reset   bool
	}{
		{"back before the first probe", 10 * time.Second, 15 * time.Second, true},
		{"back between probes", 50 * time.Second, 60 * time.Second, true},
		{"back after the last probe", 140 * time.Second, 150 * time.Second, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 32, chaos.NoNetworkFaults())
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := pair(t, ctx, client, server)
				heard := exchange(t, w, sv, cl)
				host := w.net.Host("10.0.0.2")
				host.PowerOff()
				h := client.Task.Go(ctx, "power", func(ctx context.Context) error {
					if err := client.Time.Sleep(ctx, c.powerOn-(w.w.Now()-heard)); err != nil {
						return err
					}
					host.PowerOn()
					return nil
				})
				_, err := cl.Read(make([]byte, 1))
				if c.reset {
					require.ErrorIs(t, err, syscall.ECONNRESET)
					// The reset comes one latency after the probe.
					assert.InDelta(t, c.at, w.w.Now()-heard, float64(2*time.Millisecond))
				} else {
					requireKeepAliveDrop(t, err, "read")
					assert.Equal(t, c.at, w.w.Now()-heard)
				}
				require.NoError(t, h.Join(ctx))
				return cl.Close()
			})
		})
	}
}

// The end that drops the connection sends a reset, as Linux's does; it
// reaches the peer when the way there is open.
func TestKeepAliveDropResetsThePeerWhenTheWayThereIsOpen(t *testing.T) {
	w := newWorld(t, 33, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := probingClientPair(t, ctx, client, server)
		heard := exchange(t, w, cl, sv)
		w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"})
		_, err := sv.Read(make([]byte, 1))
		require.ErrorIs(t, err, syscall.ECONNRESET, "the client's probes got there, their answers did not")
		assert.InDelta(t, 150*time.Second, w.w.Now()-heard, float64(2*time.Millisecond))
		_, err = cl.Read(make([]byte, 1))
		requireKeepAliveDrop(t, err, "read")
		require.NoError(t, sv.Close())
		return cl.Close()
	})
}

// A segment from the peer counts as an answer: an end whose own probes
// a one-way cut loses, but which hears from its peer, keeps the
// connection.
func TestKeepAliveCountsWhatThePeerSends(t *testing.T) {
	w := newWorld(t, 34, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := probingClientPair(t, ctx, client, server)
		w.net.PartitionOneWay([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		h := server.Task.Go(ctx, "ticker", func(ctx context.Context) error {
			// Its own give-up on what the cut leaves unacknowledged
			// comes at 924.6 s.
			for range 8 {
				if err := server.Time.Sleep(ctx, 100*time.Second); err != nil {
					return err
				}
				if _, err := sv.Write([]byte("t")); err != nil {
					return err
				}
			}
			return nil
		})
		b := make([]byte, 1)
		for range 8 {
			_, err := cl.Read(b)
			require.NoError(t, err)
		}
		require.NoError(t, h.Join(ctx))
		require.NoError(t, sv.Close())
		return cl.Close()
	})
	assert.Empty(t, events(res, "keep-alive"))
}

// The settings of *net.TCPConn: SetKeepAliveConfig's times and count,
// SetKeepAlivePeriod's idle time (the interval stays), and
// SetKeepAlive(false), with which an idle end waits for as long as it
// takes.
func TestKeepAliveSettings(t *testing.T) {
	cases := []struct {
		name string
		set  func(c keepAliveConn) error
		drop time.Duration // 0: none
	}{
		{"config", func(c keepAliveConn) error {
			return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3})
		}, 11 * time.Second},
		{"config rounded up to seconds", func(c keepAliveConn) error {
			return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 4500 * time.Millisecond, Interval: 1500 * time.Millisecond, Count: 3})
		}, 11 * time.Second},
		{"config of defaults", func(c keepAliveConn) error {
			return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true})
		}, 150 * time.Second},
		{"period", func(c keepAliveConn) error { return c.SetKeepAlivePeriod(time.Minute) }, 195 * time.Second},
		{"off", func(c keepAliveConn) error { return c.SetKeepAlive(false) }, 0},
		{"off by config", func(c keepAliveConn) error {
			return c.SetKeepAliveConfig(net.KeepAliveConfig{Idle: time.Second})
		}, 0},
		{"off, then on", func(c keepAliveConn) error {
			if err := c.SetKeepAlive(false); err != nil {
				return err
			}
			return c.SetKeepAlive(true)
		}, 150 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 35, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := probingClientPair(t, ctx, client, server)
				require.NoError(t, c.set(cl.(keepAliveConn)))
				heard := exchange(t, w, sv, cl)
				w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
				require.NoError(t, cl.SetReadDeadline(client.Time.Now().Add(20*time.Minute)))
				_, err := cl.Read(make([]byte, 1))
				if c.drop == 0 {
					assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
					return cl.Close()
				}
				requireKeepAliveDrop(t, err, "read")
				assert.Equal(t, c.drop, w.w.Now()-heard)
				return cl.Close()
			})
			if c.drop == 0 {
				assert.Empty(t, events(res, "keep-alive"))
			}
		})
	}
}

// The keep-alive settings of a closed connection cannot be changed.
func TestKeepAliveSettingsOfAClosedConnection(t *testing.T) {
	simulate(t, 36, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := pair(t, ctx, client, server)
		require.NoError(t, cl.Close())
		assert.ErrorIs(t, cl.(keepAliveConn).SetKeepAlive(true), net.ErrClosed)
		assert.ErrorIs(t, cl.(keepAliveConn).SetKeepAlivePeriod(time.Second), net.ErrClosed)
		assert.ErrorIs(t, cl.(keepAliveConn).SetKeepAliveConfig(net.KeepAliveConfig{Enable: true}), net.ErrClosed)
		return sv.Close()
	})
}

// A reader across a silent random close drops the connection after its
// probes go unanswered, where it would otherwise wait for ever.
func TestKeepAliveFindsASilentClose(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.CloseProb, cfg.CloseExplicitProb = 1, 0
	w := newWorld(t, 37, cfg)
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, _ := pair(t, ctx, client, server)
		start := w.w.Now()
		_, err := cl.Read(make([]byte, 1))
		requireKeepAliveDrop(t, err, "read")
		assert.InDelta(t, 150*time.Second, w.w.Now()-start, float64(2*time.Millisecond), "from the connect")
		return cl.Close()
	})
	assert.NotEmpty(t, events(res, "silent"))
}

// Probes answered change nothing either end can see, and are not events:
// a run whose faults end before any drop has the trace it has with the
// probes off.
func TestKeepAlivesThatDropNothingLeaveTheTrace(t *testing.T) {
	run := func(on bool) sim.Result {
		w := newWorld(t, 38, chaos.NoNetworkFaults())
		return w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			cl, sv := pair(t, ctx, client, server)
			for _, c := range []net.Conn{cl, sv} {
				require.NoError(t, c.(keepAliveConn).SetKeepAlive(on))
			}
			for range 3 {
				exchange(t, w, cl, sv)
				w.net.Isolate("10.0.0.2")
				require.NoError(t, client.Time.Sleep(ctx, 100*time.Second))
				w.net.Heal()
				require.NoError(t, client.Time.Sleep(ctx, time.Second))
				w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
				require.NoError(t, client.Time.Sleep(ctx, 30*time.Second))
				w.net.Heal()
			}
			require.NoError(t, sv.Close())
			return cl.Close()
		})
	}
	on, off := run(true), run(false)
	assert.Equal(t, off.Trace, on.Trace)
	assert.Equal(t, off.Events, on.Events)
	assert.Empty(t, events(on, "keep-alive"))
}

// keepAliveDrop is when an end that last heard from its peer at heard
// drops the connection, with Go's settings, if nothing else reaches it:
// a probe every 15 s from heard, lost when it goes out during one of the
// cuts (each [start, end)), and the drop 15 s after the ninth lost in a
// row. It reports false if that comes after until.
func keepAliveDrop(heard, until time.Duration, cuts [][2]time.Duration) (time.Duration, bool) {
	lost := 0
	for p := heard + 15*time.Second; p < until; p += 15 * time.Second {
		in := false
		for _, c := range cuts {
			in = in || c[0] <= p && p < c[1]
		}
		if !in {
			lost = 0
			continue
		}
		if lost++; lost == 9 {
			return p + 15*time.Second, p+15*time.Second <= until
		}
	}
	return 0, false
}

// Random partitions drop an idle connection across them when they leave
// nine probes in a row unanswered, and not otherwise: partitions of 130 s
// do one or the other depending on when they begin among the probes.
// Over a dozen seeds both happen.
func TestKeepAliveAgainstRandomPartitions(t *testing.T) {
	const d = 130 * time.Second
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 60 * time.Second
	cfg.PartitionDuration = chaos.Range{Min: d, Max: d}
	cfg.PartitionOneWayProb = 0
	var drops, kept int
	for seed := uint64(40); seed < 52; seed++ {
		w := newWorld(t, seed, cfg)
		var heard, ended time.Duration
		var err error
		res := w.run(func(ctx context.Context, p providers.Providers) error {
			// Two hosts that random partitions cut (the client of
			// simulate is steady: they leave it alone).
			client, server := on(p, w.net.Host("10.0.0.3")), on(p, w.net.Host("10.0.0.4"))
			cl, sv := probingClientPair(t, ctx, client, server)
			busy, _ := quietPair(t, ctx, client, server)
			heard = exchange(t, w, sv, cl)
			// Random partitions begin as the network is used: a
			// writer uses it, and stops before its own give-up.
			h := client.Task.Go(ctx, "writer", func(ctx context.Context) error {
				for range 400 {
					if err := client.Time.Sleep(ctx, time.Second); err != nil {
						return err
					}
					if _, err := busy.Write([]byte("w")); err != nil {
						return err
					}
				}
				return nil
			})
			require.NoError(t, cl.SetReadDeadline(client.Time.Now().Add(400*time.Second)))
			_, err = cl.Read(make([]byte, 1))
			ended = w.w.Now()
			require.NoError(t, h.Join(ctx))
			return cl.Close()
		})
		require.NoError(t, res.Err)
		var cuts [][2]time.Duration
		for _, e := range res.Timeline {
			if strings.Contains(e.Msg, "net: random partition {") {
				cuts = append(cuts, [2]time.Duration{e.At, e.At + d})
			}
		}
		require.NotEmpty(t, cuts, "seed %d: a random partition began", seed)
		if at, ok := keepAliveDrop(heard, heard+400*time.Second, cuts); ok {
			drops++
			requireKeepAliveDrop(t, err, "read")
			assert.Equal(t, at, ended, "seed %d", seed)
		} else {
			kept++
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "seed %d: a probe was answered in every nine", seed)
		}
	}
	assert.Positive(t, drops)
	assert.Positive(t, kept)
}

// A one-way cut leaves one end hearing its peer's probes, which count as
// answers on Linux: that end keeps the connection until the other, which
// hears nothing, drops it and resets it.
func TestKeepAliveOneWayCutDropsTheEndThatHearsNothing(t *testing.T) {
	w := newWorld(t, 52, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := pair(t, ctx, client, server)
		heard := exchange(t, w, sv, cl)
		w.net.PartitionOneWay([]string{"10.0.0.1"}, []string{"10.0.0.2"}) // the client's packets are lost
		_, err := cl.Read(make([]byte, 1))
		require.ErrorIs(t, err, syscall.ECONNRESET, "the server dropped it, and its reset got through")
		assert.InDelta(t, 150*time.Second, w.w.Now()-heard, float64(2*time.Millisecond))
		_, err = sv.Read(make([]byte, 1))
		requireKeepAliveDrop(t, err, "read")
		require.NoError(t, sv.Close())
		return cl.Close()
	})
	assert.Len(t, events(res, "keep-alive probes unanswered"), 1)
}

// New settings apply to a count under way, as on Linux, whose timer reads
// them each time it fires: a count shortened below the time already
// passed drops the connection at once.
func TestKeepAliveSettingsApplyToACountUnderWay(t *testing.T) {
	w := newWorld(t, 53, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := probingClientPair(t, ctx, client, server)
		heard := exchange(t, w, sv, cl)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		h := client.Task.Go(ctx, "settings", func(ctx context.Context) error {
			if err := client.Time.Sleep(ctx, 40*time.Second); err != nil {
				return err
			}
			return cl.(keepAliveConn).SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Interval: 5 * time.Second, Count: 2})
		})
		_, err := cl.Read(make([]byte, 1))
		requireKeepAliveDrop(t, err, "read")
		assert.Equal(t, 40*time.Second, w.w.Now()-heard, "its drop was due at 25 s")
		require.NoError(t, h.Join(ctx))
		return cl.Close()
	})
}
