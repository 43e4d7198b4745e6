package simnet_test

import (
	"context"
	"fmt"
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
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// requireTimedOut checks that err is the error of a connect to addr that
// went unanswered, as package net gives it on Linux.
func requireTimedOut(t *testing.T, err error, addr string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, "dial tcp "+addr+": connect: connection timed out", err.Error())
	assert.ErrorIs(t, err, syscall.ETIMEDOUT)
	assert.True(t, os.IsTimeout(err), "os.IsTimeout")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "net.Error's Timeout")
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded, "no deadline passed")
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	var oe *net.OpError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "dial", oe.Op)
	var se *os.SyscallError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "connect", se.Syscall)
}

// A connect that nothing answers fails with ETIMEDOUT after
// ConnectTimeout, as Linux's does, when its context has no deadline:
// the host is off, a partition or clog holds it, or a connect fault
// hangs it.
func TestUnansweredConnectTimesOut(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(*chaos.Network)
		cut  func(w *world)
	}{
		{"host off", nil, func(w *world) { w.net.Host("10.0.0.2").PowerOff() }},
		{"partition", nil, func(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }},
		{"one-way partition", nil, func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"}) }},
		{"isolated", nil, func(w *world) { w.net.Isolate("10.0.0.2") }},
		{"clog", nil, func(w *world) { w.net.Clog("10.0.0.1", "10.0.0.2", time.Hour) }},
		{"hanging connect", func(c *chaos.Network) { c.ConnectFailProb, c.ConnectHangProb = 1, 1 }, func(*world) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := chaos.NoNetworkFaults()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			w := newWorld(t, 1, cfg)
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				_, err := server.Network.Listen(ctx, ":80")
				require.NoError(t, err)
				c.cut(w)
				start := client.Time.Now()
				_, err = client.Network.Dial(ctx, "10.0.0.2:80")
				requireTimedOut(t, err, "10.0.0.2:80")
				assert.Equal(t, simnet.ConnectTimeout, client.Time.Now().Sub(start), "it gives up when Linux does, not before")
				return nil
			})
			assert.Len(t, events(res, "connect 10.0.0.1 -> 10.0.0.2:80 timed out after 2m11s"), 1)
		})
	}
}

// The give-up counts from the connect's start, and a peer reachable
// again before it answers the connect as if no give-up were armed; a
// context that ends first ends the connect with its own error.
func TestConnectTimeoutAgainstHealsAndDeadlines(t *testing.T) {
	w := newWorld(t, 2, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		cut := func() { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }

		healIn := func(d time.Duration) providers.Handle {
			cut()
			return client.Task.Go(ctx, "heal", func(ctx context.Context) error {
				if err := client.Time.Sleep(ctx, d); err != nil {
					return err
				}
				w.net.Heal()
				return nil
			})
		}
		h := healIn(time.Minute)
		start := client.Time.Now()
		c, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err, "healed before the last retransmission of the SYN: the connect goes on at it")
		assert.InDelta(t, 67*time.Second, client.Time.Now().Sub(start), float64(10*time.Millisecond),
			"the SYN went again 67 s after the first: the seventh second after the heal")
		require.NoError(t, h.Join(ctx))
		require.NoError(t, c.Close())
		s, err := l.Accept()
		require.NoError(t, err)
		require.NoError(t, s.Close())

		h = healIn(2 * time.Minute)
		start = client.Time.Now()
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		requireTimedOut(t, err, "10.0.0.2:80")
		assert.Equal(t, simnet.ConnectTimeout, client.Time.Now().Sub(start),
			"healed after the last retransmission of the SYN (67 s): nothing goes again before the give-up")
		require.NoError(t, h.Join(ctx))

		cut()
		dctx, cancel := client.Time.WithTimeout(ctx, time.Minute)
		start = client.Time.Now()
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "an earlier deadline ends it first")
		assert.NotErrorIs(t, err, syscall.ETIMEDOUT)
		assert.Equal(t, time.Minute, client.Time.Now().Sub(start))

		dctx, cancel = client.Time.WithTimeout(ctx, time.Hour)
		start = client.Time.Now()
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		requireTimedOut(t, err, "10.0.0.2:80")
		assert.Equal(t, simnet.ConnectTimeout, client.Time.Now().Sub(start), "a later deadline does not keep it waiting")

		// The connect reached the host, and its answer is what is held.
		w.net.Heal()
		w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"})
		start = client.Time.Now()
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		requireTimedOut(t, err, "10.0.0.2:80")
		assert.Equal(t, simnet.ConnectTimeout, client.Time.Now().Sub(start))
		w.net.Heal()
		client.Time.Sleep(ctx, time.Second)
		s, err = l.Accept()
		require.NoError(t, err, "the listener took the connect whose answer was lost")
		_, err = s.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ECONNRESET, "the dialler's host resets what it gave up on")
		return nil
	})
}

// A connect that is held and then answered before the give-up leaves the
// run's trace as it was without a give-up: only a run in which a connect
// times out differs. Here one dial's context ends before the give-up
// (none is armed) and the other's after it (one is armed, and stopped
// when the heal lets the connect through); the runs are otherwise alike.
func TestAnsweredConnectLeavesNoTraceOfItsGiveUp(t *testing.T) {
	trace := func(deadline time.Duration) uint64 {
		w := newWorld(t, 3, chaos.NoNetworkFaults())
		res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			_, err := server.Network.Listen(ctx, ":80")
			require.NoError(t, err)
			w.net.Host("10.0.0.2").PowerOff()
			h := client.Task.Go(ctx, "power", func(ctx context.Context) error {
				if err := client.Time.Sleep(ctx, 30*time.Second); err != nil {
					return err
				}
				w.net.Host("10.0.0.2").PowerOn()
				return nil
			})
			dctx, cancel := client.Time.WithTimeout(ctx, deadline)
			_, err = client.Network.Dial(dctx, "10.0.0.2:80")
			cancel()
			assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the host came back without its listener")
			require.NoError(t, h.Join(ctx))
			return client.Time.Sleep(ctx, 10*time.Minute)
		})
		return res.Trace
	}
	assert.Equal(t, trace(time.Minute+time.Second), trace(time.Hour))
}

// A dialler killed while its connect is held leaves no give-up to fire
// later: the run goes on as if it had never been armed.
func TestKilledDiallerLeavesNoGiveUp(t *testing.T) {
	w := newWorld(t, 4, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		w.net.Isolate("10.0.0.2")
		h := client.Task.Go(ctx, "dialler", func(ctx context.Context) error {
			_, err := client.Network.Dial(ctx, "10.0.0.2:80")
			return err
		})
		client.Time.Sleep(ctx, time.Second)
		w.w.Kill(h)
		return client.Time.Sleep(ctx, 10*time.Minute)
	})
	assert.Empty(t, events(res, "timed out"))
	assert.Equal(t, 10*time.Minute+time.Second, res.SimTime)
}

// An end whose data the peer never acknowledges gives up after
// RetransmitTimeout, as Linux does after tcp_retries2: its next call
// fails with ETIMEDOUT, once; later reads see EOF and writes EPIPE.
func TestUnacknowledgedDataTimesOut(t *testing.T) {
	cases := []struct {
		name string
		cut  func(w *world)
	}{
		{"host off", func(w *world) { w.net.Host("10.0.0.2").PowerOff() }},
		{"partition", func(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }},
		{"one-way partition", func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 5, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, _ := quietPair(t, ctx, client, server)
				c.cut(w)
				start := client.Time.Now()
				_, err := cl.Write([]byte("never acknowledged"))
				require.NoError(t, err, "the write is buffered")
				_, err = cl.Read(make([]byte, 10))
				require.Error(t, err)
				assert.Equal(t, simnet.RetransmitTimeout, client.Time.Now().Sub(start), "it gives up when Linux does, not before")
				assert.ErrorIs(t, err, syscall.ETIMEDOUT)
				assert.True(t, os.IsTimeout(err))
				assert.Contains(t, err.Error(), "read: connection timed out")
				k, err := cl.Read(make([]byte, 10))
				assert.Zero(t, k)
				assert.Same(t, io.EOF, err, "told once")
				_, err = cl.Write([]byte("x"))
				assert.ErrorIs(t, err, syscall.EPIPE)
				return cl.Close()
			})
			assert.Len(t, events(res, "timed out: data unacknowledged for 15m24.6s"), 1)
		})
	}
}

// A writer blocked on a full buffer that nobody acknowledges is told
// too, and a write is what reports it.
func TestBlockedWriterTimesOut(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SendBuffer = 1024
	w := newWorld(t, 6, cfg)
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, _ := pair(t, ctx, client, server)
		w.net.Isolate("10.0.0.2")
		start := client.Time.Now()
		_, err := cl.Write(make([]byte, 4096))
		assert.ErrorIs(t, err, syscall.ETIMEDOUT)
		assert.Contains(t, err.Error(), "write: connection timed out")
		assert.Equal(t, simnet.RetransmitTimeout, client.Time.Now().Sub(start))
		return cl.Close()
	})
}

// Data that gets through before the give-up, and an idle connection
// across a cut with its keep-alives off, time out never: a deadline is
// what ends the wait.
func TestNoTimeoutWithoutUnacknowledgedData(t *testing.T) {
	w := newWorld(t, 7, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := quietPair(t, ctx, client, server)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		_, err := cl.Write([]byte("late"))
		require.NoError(t, err)
		h := client.Task.Go(ctx, "heal", func(ctx context.Context) error {
			if err := client.Time.Sleep(ctx, 10*time.Minute); err != nil {
				return err
			}
			w.net.Heal()
			return nil
		})
		b := make([]byte, 4)
		_, err = io.ReadFull(sv, b)
		require.NoError(t, err)
		assert.Equal(t, "late", string(b))
		require.NoError(t, h.Join(ctx))

		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		require.NoError(t, cl.SetReadDeadline(client.Time.Now().Add(20*time.Minute)))
		_, err = cl.Read(b)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "an idle connection does not time out by itself")
		require.NoError(t, cl.Close())
		return sv.Close()
	})
	assert.Empty(t, events(res, "timed out"))
}

// A silent random close swallows what is written after it: the writer
// gives up on it as it would on a peer that vanished.
func TestSilentCloseTimesOutTheWriter(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.CloseProb, cfg.CloseExplicitProb = 1, 0
	w := newWorld(t, 8, cfg)
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, _ := pair(t, ctx, client, server)
		start := client.Time.Now()
		_, err := cl.Write([]byte("into the silence"))
		require.NoError(t, err)
		_, err = cl.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ETIMEDOUT)
		assert.Equal(t, simnet.RetransmitTimeout, client.Time.Now().Sub(start))
		return cl.Close()
	})
	assert.NotEmpty(t, events(res, "silent"))
}

// An end closed with its data held, whose data gets through before
// OrphanTimeout, leaves no give-up behind: a run that goes on past the
// give-up's time fires no more events than the time it sleeps.
func TestClosedEndWhoseDataGetsThroughLeavesNoGiveUp(t *testing.T) {
	run := func(after time.Duration) sim.Result {
		w := newWorld(t, 9, chaos.NoNetworkFaults())
		return w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			cl, sv := pair(t, ctx, client, server)
			w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
			_, err := cl.Write([]byte("held"))
			require.NoError(t, err)
			require.NoError(t, client.Time.Sleep(ctx, time.Second)) // held, and its give-up armed
			require.NoError(t, cl.Close())
			require.NoError(t, client.Time.Sleep(ctx, 30*time.Second))
			w.net.Heal()
			b, err := io.ReadAll(sv)
			require.NoError(t, err)
			assert.Equal(t, "held", string(b), "the data and the FIN arrive at the next retransmission, at 51 s")
			require.NoError(t, client.Time.Sleep(ctx, after))
			return sv.Close()
		})
	}
	before, past := run(time.Minute), run(simnet.RetransmitTimeout+time.Minute)
	assert.Equal(t, before.Events, past.Events)
	assert.Empty(t, events(past, "dropped"))
	assert.Empty(t, events(past, "timed out"))
}

// giveUps returns the simulated times of res's give-ups whose message
// contains substr.
func giveUps(res sim.Result, substr string) []time.Duration {
	var at []time.Duration
	for _, e := range res.Timeline {
		if strings.Contains(e.Msg, substr) {
			at = append(at, e.At)
		}
	}
	return at
}

// An end closed with data or its FIN held (an orphan) gives up after
// OrphanTimeout, as Linux's does after tcp_orphan_retries, counted from
// the oldest send, or at the first retransmission after the close when
// it closed later. It sends nothing: at the heal the peer gets neither
// the data nor the FIN, and learns when it next sends, from a reset.
func TestOrphanGivesUp(t *testing.T) {
	cases := []struct {
		name    string
		write   bool          // data before the FIN
		closeAt time.Duration // after the first send
		dropAt  time.Duration // after the first send
		cut     func(w *world)
	}{
		{"data, both ways cut", true, time.Second, simnet.OrphanTimeout, nil},
		{"FIN alone", false, 0, simnet.OrphanTimeout, nil},
		{"closed after 500s", true, 500 * time.Second, 564600 * time.Millisecond, nil},
		{"closed at 204.6s", true, 204600 * time.Millisecond, 204600 * time.Millisecond, nil},
		{"host of the peer off", true, time.Second, simnet.OrphanTimeout, func(w *world) { w.net.Host("10.0.0.2").PowerOff() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 15, chaos.NoNetworkFaults())
			var start time.Duration
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := quietPair(t, ctx, client, server)
				if c.cut != nil {
					c.cut(w)
				} else {
					w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
				}
				start = w.w.Now()
				if c.write {
					_, err := cl.Write([]byte("held"))
					require.NoError(t, err)
				}
				require.NoError(t, client.Time.Sleep(ctx, c.closeAt))
				require.NoError(t, cl.Close())
				require.NoError(t, client.Time.Sleep(ctx, 10*time.Minute))
				if c.cut != nil {
					return nil
				}
				w.net.Heal()
				require.NoError(t, sv.SetReadDeadline(server.Time.Now().Add(5*time.Second)))
				k, err := sv.Read(make([]byte, 10))
				assert.Zero(t, k, "the held data was dropped")
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "no FIN and no reset came at the heal")
				_, err = sv.Write([]byte("anyone?"))
				require.NoError(t, err)
				require.NoError(t, sv.SetReadDeadline(time.Time{}))
				_, err = sv.Read(make([]byte, 1))
				assert.ErrorIs(t, err, syscall.ECONNRESET, "the send found no socket")
				return sv.Close()
			})
			at := giveUps(res, "closed with data unacknowledged")
			require.Len(t, at, 1)
			assert.Equal(t, c.dropAt, at[0]-start)
			assert.Empty(t, events(res, "timed out"))
		})
	}
}

// The orphan's give-up comes at a firing of Linux's retransmission
// timer: 200 ms after the send, doubling to 120 s.
func TestOrphanGiveUpTimes(t *testing.T) {
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	for _, c := range []struct{ since, closed, want int64 }{
		{0, 0, ms(102200)},
		{ms(1000), ms(1000), ms(103200)},
		{0, ms(102200), ms(102200)},
		{0, ms(102201), ms(204600)},
		{0, ms(204600), ms(204600)},
		{0, ms(204601), ms(324600)},
		{0, ms(924600), ms(924600)},
		{0, ms(3600000), ms(3684600)},
	} {
		assert.Equal(t, time.Duration(c.want), time.Duration(simnet.OrphanGiveUp(c.since, c.closed)), "sent at %v, closed at %v", time.Duration(c.since), time.Duration(c.closed))
	}
}

// Data that reaches the peer while the way back is cut is not
// acknowledged: the sender gives up after RetransmitTimeout, as Linux's
// does when no acknowledgement comes back, though the peer read the
// data. The peer learns when it next sends, from a reset.
func TestCutOfTheWayBackMakesTheSenderGiveUp(t *testing.T) {
	cases := []struct {
		name string
		cut  func(w *world)
	}{
		{"one-way partition", func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"}) }},
		{"clog", func(w *world) { w.net.Clog("10.0.0.2", "10.0.0.1", time.Hour) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 16, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := quietPair(t, ctx, client, server)
				c.cut(w)
				start := client.Time.Now()
				_, err := cl.Write([]byte("arrives"))
				require.NoError(t, err)
				b := make([]byte, 7)
				_, err = io.ReadFull(sv, b)
				require.NoError(t, err, "the data gets there")
				assert.Equal(t, "arrives", string(b))
				_, err = cl.Read(make([]byte, 1))
				require.ErrorIs(t, err, syscall.ETIMEDOUT, "no acknowledgement came back")
				assert.Equal(t, simnet.RetransmitTimeout, client.Time.Now().Sub(start))
				_, err = cl.Write([]byte("x"))
				assert.ErrorIs(t, err, syscall.EPIPE, "told once")

				w.net.Heal()
				_, err = sv.Write([]byte("anyone?"))
				require.NoError(t, err)
				_, err = sv.Read(make([]byte, 1))
				assert.ErrorIs(t, err, syscall.ECONNRESET, "the send found no socket")
				require.NoError(t, sv.Close())
				return cl.Close()
			})
			assert.Len(t, events(res, "timed out: data unacknowledged"), 1)
		})
	}
}

// An acknowledgement held on the way back comes back when the cut ends,
// however the cut ends, even if the way back is cut again before the
// give-up's time, and a later segment either way brings it back too.
// The sender does not give up then.
func TestHeldAcknowledgementComesBack(t *testing.T) {
	back := []string{"10.0.0.2"}
	there := []string{"10.0.0.1"}
	cases := []struct {
		name string
		end  func(w *world, cl, sv net.Conn)
	}{
		{"heal", func(w *world, _, _ net.Conn) { w.net.Heal() }},
		{"clog's end", func(w *world, _, _ net.Conn) {}},
		{"later data", func(w *world, cl, _ net.Conn) {
			w.net.Heal()
			_, err := cl.Write([]byte("more"))
			require.NoError(t, err)
		}},
		{"data from the peer", func(w *world, _, sv net.Conn) {
			w.net.Heal()
			_, err := sv.Write([]byte("back"))
			require.NoError(t, err)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 17, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := quietPair(t, ctx, client, server)
				if c.name == "clog's end" {
					w.net.Clog("10.0.0.2", "10.0.0.1", 10*time.Minute)
				} else {
					w.net.PartitionOneWay(back, there)
				}
				_, err := cl.Write([]byte("arrives"))
				require.NoError(t, err)
				require.NoError(t, client.Time.Sleep(ctx, 5*time.Minute))
				c.end(w, cl, sv)
				require.NoError(t, client.Time.Sleep(ctx, 5*time.Minute+time.Second))
				w.net.PartitionOneWay(back, there) // for good
				require.NoError(t, cl.SetReadDeadline(client.Time.Now().Add(20*time.Minute)))
				for {
					if _, err = cl.Read(make([]byte, 10)); err != nil {
						break
					}
				}
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "no give-up")
				require.NoError(t, sv.Close())
				return cl.Close()
			})
			assert.Empty(t, events(res, "timed out"))
		})
	}
}

// Data whose acknowledgement a cut held when its peer's host lost power
// goes unacknowledged: the sender gives up, though the way back heals.
func TestHeldAcknowledgementOfAHostThatLostPower(t *testing.T) {
	w := newWorld(t, 18, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, _ := pair(t, ctx, client, server)
		w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"})
		start := client.Time.Now()
		_, err := cl.Write([]byte("arrives"))
		require.NoError(t, err)
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		w.net.Host("10.0.0.2").PowerOff()
		w.net.Heal()
		_, err = cl.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ETIMEDOUT)
		assert.Equal(t, simnet.RetransmitTimeout, client.Time.Now().Sub(start))
		return cl.Close()
	})
}

// A peer that gave up on data sent to a host without power retransmits
// nothing: when the host is back, it gets no reset, and the run is the
// one it would be with the host still off.
func TestPowerOnLeavesAPeerThatGaveUpAlone(t *testing.T) {
	run := func(powerOn bool) sim.Result {
		w := newWorld(t, 19, chaos.NoNetworkFaults())
		return w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			cl, _ := pair(t, ctx, client, server)
			host := w.net.Host("10.0.0.2")
			host.PowerOff()
			_, err := cl.Write([]byte("unanswered"))
			require.NoError(t, err)
			require.NoError(t, client.Time.Sleep(ctx, simnet.RetransmitTimeout+time.Second))
			if powerOn {
				host.PowerOn()
			}
			require.NoError(t, client.Time.Sleep(ctx, time.Second))
			_, err = cl.Read(make([]byte, 1))
			assert.ErrorIs(t, err, syscall.ETIMEDOUT, "what the end tells is its own give-up")
			return cl.Close()
		})
	}
	off, on := run(false), run(true)
	assert.Equal(t, off.Events, on.Events, "no reset travels to the end that gave up")
}

// A dialler killed while its connect is on the wire, which a cut then
// holds, arms nothing: nobody is left to give up.
func TestKilledDiallerWhoseConnectIsHeldLater(t *testing.T) {
	w := newWorld(t, 10, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		h := client.Task.Go(ctx, "dialler", func(ctx context.Context) error {
			_, err := client.Network.Dial(ctx, "10.0.0.2:80")
			return err
		})
		client.Time.Sleep(ctx, time.Microsecond) // the connect is on its way
		w.w.Kill(h)
		w.net.Isolate("10.0.0.2")
		return client.Time.Sleep(ctx, 10*time.Minute)
	})
	assert.Empty(t, events(res, "timed out"))
}

// An end that gives up on unacknowledged data sends nothing, as Linux's
// tcp_write_err purges the data and closes the socket without a reset:
// when the cut heals, the peer gets neither the held data nor a reset.
// It learns when it next sends: its segment finds no socket and is
// answered with a reset, so its next write fails with ECONNRESET and
// the one after with EPIPE, as on Linux.
func TestGiveUpIsSilentAndThePeerLearnsWhenItSends(t *testing.T) {
	for _, told := range []string{"write", "read"} {
		t.Run(told, func(t *testing.T) {
			w := newWorld(t, 11, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				cl, sv := quietPair(t, ctx, client, server)
				w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
				_, err := cl.Write([]byte("held"))
				require.NoError(t, err)
				_, err = cl.Read(make([]byte, 1))
				require.ErrorIs(t, err, syscall.ETIMEDOUT)
				err = cl.(interface{ CloseWrite() error }).CloseWrite()
				assert.ErrorIs(t, err, syscall.ENOTCONN, "the end that gave up is not connected, as shutdown(2) finds it")
				w.net.Heal()

				require.NoError(t, sv.SetReadDeadline(server.Time.Now().Add(5*time.Second)))
				k, err := sv.Read(make([]byte, 10))
				assert.Zero(t, k, "the held data was dropped at the give-up")
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "no reset came at the heal")
				require.NoError(t, sv.SetReadDeadline(time.Time{}))

				_, err = sv.Write([]byte("anyone?"))
				require.NoError(t, err, "the write is buffered; its answer comes later")
				require.NoError(t, server.Time.Sleep(ctx, time.Second))
				if told == "write" {
					_, err = sv.Write([]byte("anyone?"))
					assert.ErrorIs(t, err, syscall.ECONNRESET, "the write after the reset came back")
					_, err = sv.Write([]byte("anyone?"))
					assert.ErrorIs(t, err, syscall.EPIPE)
				} else {
					_, err = sv.Read(make([]byte, 1))
					assert.ErrorIs(t, err, syscall.ECONNRESET, "the read after the reset came back")
				}
				k, err = sv.Read(make([]byte, 1))
				assert.Zero(t, k)
				assert.Same(t, io.EOF, err, "the reset is told once")
				require.NoError(t, sv.Close())
				return cl.Close()
			})
			assert.Len(t, events(res, "timed out: data unacknowledged"), 1)
		})
	}
}

// A peer that shut down writing and goes on reading learns of the give-up
// when its FIN reaches the end that gave up: the FIN is answered with a
// reset too.
func TestGiveUpAnswersTheFINWithAReset(t *testing.T) {
	w := newWorld(t, 12, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := quietPair(t, ctx, client, server)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		_, err := cl.Write([]byte("held"))
		require.NoError(t, err)
		_, err = cl.Read(make([]byte, 1))
		require.ErrorIs(t, err, syscall.ETIMEDOUT)
		w.net.Heal()
		require.NoError(t, sv.(interface{ CloseWrite() error }).CloseWrite())
		_, err = sv.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ECONNRESET)
		require.NoError(t, sv.Close())
		return cl.Close()
	})
}

// An end that gave up and then closed, or whose host then crashed, still
// answers what reaches it with a reset, as any closed end does; one whose
// host lost its power answers nothing until the host is back.
func TestGiveUpThenCloseCrashOrPowerLoss(t *testing.T) {
	for _, then := range []string{"close", "crash", "power"} {
		t.Run(then, func(t *testing.T) {
			w := newWorld(t, 13, chaos.NoNetworkFaults())
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				sv, cl := quietPair(t, ctx, server, client) // the server end gives up
				w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
				_, err := sv.Write([]byte("held"))
				require.NoError(t, err)
				_, err = sv.Read(make([]byte, 1))
				require.ErrorIs(t, err, syscall.ETIMEDOUT)
				host := w.net.Host("10.0.0.2")
				switch then {
				case "close":
					require.NoError(t, sv.Close())
				case "crash":
					host.Crash()
				case "power":
					host.PowerOff()
				}
				w.net.Heal()
				_, err = cl.Write([]byte("anyone?"))
				require.NoError(t, err)
				require.NoError(t, cl.SetReadDeadline(client.Time.Now().Add(5*time.Second)))
				_, err = cl.Read(make([]byte, 1))
				if then == "power" {
					assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a host without power answers nothing")
					host.PowerOn()
					require.NoError(t, cl.SetReadDeadline(time.Time{}))
					_, err = cl.Read(make([]byte, 1))
				}
				assert.ErrorIs(t, err, syscall.ECONNRESET)
				return cl.Close()
			})
		})
	}
}

// A dialler whose connect timed out while the listener's answer was held
// leaves the listener's end to learn at the heal: the answer finds no
// socket and is answered with a reset, before or after the listener's
// end sends.
func TestConnectTimeoutIsLearnedByTheListenersEnd(t *testing.T) {
	w := newWorld(t, 14, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"})
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		requireTimedOut(t, err, "10.0.0.2:80")
		s, err := l.Accept()
		require.NoError(t, err)
		_, err = s.Write([]byte("hello"))
		require.NoError(t, err)
		w.net.Heal()
		_, err = s.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ECONNRESET)
		return s.Close()
	})
}

// A held connect gives up at ConnectTimeout, measured in simulated time,
// when its context's deadline comes later, whatever clock that deadline
// is on: the dialling host's, the world's (the test driver's, whose
// contexts code on another host may be handed), or another host's.
func TestHeldConnectGivesUpWhateverClockItsDeadlineIsOn(t *testing.T) {
	for _, skew := range []time.Duration{-50 * time.Millisecond, 0, 50 * time.Millisecond} {
		for _, from := range []string{"dialler", "world", "other host"} {
			t.Run(fmt.Sprintf("%s/%v", from, skew), func(t *testing.T) {
				w := newWorld(t, 1, chaos.NoNetworkFaults())
				dialler, other := w.net.Host("10.0.0.1"), w.net.Host("10.0.0.3")
				simnet.SetClock(dialler, skew, 0)
				simnet.SetClock(other, -skew, 0)
				res := w.run(func(ctx context.Context, p providers.Providers) error {
					server := on(p, w.net.Host("10.0.0.2"))
					client := on(p, dialler)
					_, err := server.Network.Listen(ctx, ":80")
					require.NoError(t, err)
					w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
					clock := map[string]providers.Time{"dialler": client.Time, "world": p.Time, "other host": other.Time()}[from]
					dctx, cancel := clock.WithTimeout(ctx, simnet.ConnectTimeout+20*time.Millisecond)
					defer cancel()
					start := p.Time.Now()
					_, err = client.Network.Dial(dctx, "10.0.0.2:80")
					requireTimedOut(t, err, "10.0.0.2:80")
					assert.Equal(t, simnet.ConnectTimeout, p.Time.Now().Sub(start), "under a deadline on the %s's clock, the dialler's %v off", from, skew)
					return nil
				})
				require.NoError(t, res.Err)
			})
		}
	}
}

// A peer whose data arrived before the host lost its power had it
// acknowledged, unread as it was: it retransmits nothing, so the host
// back on power resets it only when it next sends.
func TestPowerOnLeavesAPeerWithNothingUnacknowledgedAlone(t *testing.T) {
	w := newWorld(t, 20, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, _ := pair(t, ctx, client, server)
		_, err := cl.Write([]byte("arrives, never read"))
		require.NoError(t, err)
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		host := w.net.Host("10.0.0.2")
		host.PowerOff()
		host.PowerOn()
		require.NoError(t, cl.SetReadDeadline(client.Time.Now().Add(5*time.Second)))
		_, err = cl.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "no reset came at the power-on")
		_, err = cl.Write([]byte("still there?"))
		require.NoError(t, err)
		require.NoError(t, cl.SetReadDeadline(time.Time{}))
		_, err = cl.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ECONNRESET, "the send found no socket")
		return cl.Close()
	})
}

// A connect that a connect fault hangs loses every SYN while the fault
// lasts, and Heal (so Quiesce) ends the fault: the connect goes on at the
// dialler's next retransmission of the SYN, as one a partition held does,
// instead of hanging on to the give-up after the network is whole. A
// connect given up before the heal is not sent again.
func TestHungConnectGoesOnAfterHeal(t *testing.T) {
	for _, c := range []struct {
		name   string
		healIn time.Duration
		took   time.Duration
	}{
		{"heal before the first retransmission", 500 * time.Millisecond, time.Second},
		{"heal between the third and fourth", 3500 * time.Millisecond, 4 * time.Second},
		{"heal after the sixth", 7500 * time.Millisecond, 11 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := chaos.NoNetworkFaults()
			cfg.ConnectFailProb, cfg.ConnectHangProb = 1, 1
			w := newWorld(t, 4, cfg)
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				l, err := server.Network.Listen(ctx, ":80")
				require.NoError(t, err)

				// Given up before the heal: nothing goes again.
				dctx, cancel := client.Time.WithTimeout(ctx, 100*time.Millisecond)
				_, err = client.Network.Dial(dctx, "10.0.0.2:80")
				cancel()
				assertDialTimedOut(t, err, "the connect fault hangs it")

				h := client.Task.Go(ctx, "heal", func(ctx context.Context) error {
					if err := client.Time.Sleep(ctx, c.healIn); err != nil {
						return err
					}
					w.net.Quiesce()
					return nil
				})
				start := client.Time.Now()
				conn, err := client.Network.Dial(ctx, "10.0.0.2:80")
				require.NoError(t, err, "the quiesce ended the fault that hung the connect")
				assert.InDelta(t, c.took, client.Time.Now().Sub(start), float64(10*time.Millisecond),
					"it went on at the next retransmission of the SYN after the heal")
				require.NoError(t, h.Join(ctx))
				s, err := l.Accept()
				require.NoError(t, err)
				require.NoError(t, s.Close())
				require.NoError(t, conn.Close())
				require.NoError(t, l.(interface{ SetDeadline(time.Time) error }).SetDeadline(server.Time.Now().Add(20*time.Second)))
				_, err = l.Accept()
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the connect given up before the heal was not sent again")
				return nil
			})
			assert.Len(t, events(res, "connect 10.0.0.1 -> 10.0.0.2:80 hangs"), 2)
			assert.Empty(t, events(res, "timed out"))
		})
	}
}
