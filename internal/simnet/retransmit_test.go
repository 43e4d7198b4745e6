package simnet_test

import (
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// within is how far from the retransmission an arrival may be: a
// packet's latency without faults, 50-400 µs, and a margin.
const within = float64(time.Millisecond)

// A partition loses what it cuts, so what it held goes on at the sender's
// next retransmission after it ends: 200 ms after the send, backing off
// (0.2, 0.6, 1.4, 3.0, 6.2, 12.6 s). A clog only delays: what it held goes
// on when it ends.
func TestHeldDataGoesOnAtTheNextRetransmission(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hold    func(w *world)
		heal    time.Duration // after the write; zero: the hold ends by itself
		arrives time.Duration // after the write
	}{
		{"partition healed within the first timeout", partitionBoth, 100 * time.Millisecond, 200 * time.Millisecond},
		{"partition healed at 0.5 s", partitionBoth, 500 * time.Millisecond, 600 * time.Millisecond},
		{"partition healed at 2 s", partitionBoth, 2 * time.Second, 3 * time.Second},
		{"partition healed at 10 s", partitionBoth, 10 * time.Second, 12600 * time.Millisecond},
		{"one-way partition healed at 2 s", func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }, 2 * time.Second, 3 * time.Second},
		{"clog of 2 s", func(w *world) { w.net.Clog("10.0.0.1", "10.0.0.2", 2*time.Second) }, 0, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 5, chaos.NoNetworkFaults())
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				c, s := pair(t, ctx, client, server)
				tc.hold(w)
				start := client.Time.Now()
				_, err := c.Write([]byte("held"))
				require.NoError(t, err)
				if tc.heal > 0 {
					require.NoError(t, client.Time.Sleep(ctx, tc.heal))
					w.net.Heal()
				}
				b := make([]byte, 4)
				_, err = io.ReadFull(s, b)
				require.NoError(t, err)
				assert.Equal(t, "held", string(b))
				assert.InDelta(t, tc.arrives, server.Time.Now().Sub(start), within)
				require.NoError(t, c.Close())
				return s.Close()
			})
		})
	}
}

func partitionBoth(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }

// Data that arrives while a partition cuts the way back is read, but its
// acknowledgement is lost: the writer's room comes back at its next
// retransmission after the cut ends, which draws the acknowledgement
// again, or sooner, with the first segment the peer sends after the heal.
func TestALostAcknowledgementComesBackWithTheRetransmission(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply bool          // the peer sends a byte after the heal
		back  time.Duration // when the writer's last write returns, after the cut
	}{
		{"at the retransmission", false, 3 * time.Second},
		{"with the peer's reply", true, 2100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := chaos.NoNetworkFaults()
			cfg.SendBuffer = 1000
			w := newWorld(t, 3, cfg)
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				c, s := pair(t, ctx, client, server)
				w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"})
				start := client.Time.Now()
				var wrote, read int
				wr := writeAll(client, ctx, c, 3000, &wrote)
				rd := drain(server, ctx, s, &read)
				require.NoError(t, client.Time.Sleep(ctx, 2*time.Second))
				assert.Equal(t, 900, wrote, "the buffer is full of data read but not acknowledged")
				w.net.Heal()
				if tc.reply {
					server.Task.Go(ctx, "reply", func(ctx context.Context) error {
						if err := server.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
							return err
						}
						_, err := s.Write([]byte{1})
						return err
					})
				}
				require.NoError(t, wr.Join(ctx))
				assert.InDelta(t, tc.back, client.Time.Now().Sub(start), within)
				require.NoError(t, rd.Join(ctx))
				assert.Equal(t, 3000, read)
				return nil
			})
		})
	}
}

// A connect held by a partition goes on at the dialler's next
// retransmission of the SYN (1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s after
// the first), and so does an answer the partition held on its way back:
// the SYN sent again draws it again.
func TestAHeldConnectGoesOnAtTheNextSYN(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(w *world)
		heal time.Duration
		done time.Duration
	}{
		{"SYN held", partitionBoth, 2500 * time.Millisecond, 3 * time.Second},
		{"SYN held past the linear retransmissions", partitionBoth, 8 * time.Second, 11 * time.Second},
		{"answer held", func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"}) }, 4500 * time.Millisecond, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 6, chaos.NoNetworkFaults())
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				l, err := server.Network.Listen(ctx, ":80")
				require.NoError(t, err)
				tc.cut(w)
				h := client.Task.Go(ctx, "heal", func(ctx context.Context) error {
					if err := client.Time.Sleep(ctx, tc.heal); err != nil {
						return err
					}
					w.net.Heal()
					return nil
				})
				start := client.Time.Now()
				c, err := client.Network.Dial(ctx, "10.0.0.2:80")
				require.NoError(t, err)
				assert.InDelta(t, tc.done, client.Time.Now().Sub(start), within)
				require.NoError(t, h.Join(ctx))
				require.NoError(t, c.Close())
				return l.Close()
			})
		})
	}
}

// The firings of Linux's retransmission timer: 200 ms after the send,
// doubling to 120 s, which gives the give-ups their times.
func TestRetransmitTimes(t *testing.T) {
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	for _, c := range []struct{ since, t, want int64 }{
		{0, 0, ms(200)},
		{0, ms(200), ms(200)},
		{0, ms(201), ms(600)},
		{0, ms(2000), ms(3000)},
		{ms(500), ms(1900), ms(1900)},
		{ms(500), ms(2000), ms(3500)},
		{0, ms(102000), ms(102200)},
		{0, ms(110000), ms(204600)},
		{0, ms(804601), ms(924600)},
		{0, ms(3600000), ms(3684600)},
	} {
		assert.Equal(t, time.Duration(c.want), time.Duration(simnet.RetransmitAt(c.since, c.t)), "sent at %v, from %v", time.Duration(c.since), time.Duration(c.t))
	}
	assert.Equal(t, int64(simnet.OrphanTimeout), simnet.RetransmitAt(0, int64(simnet.OrphanTimeout)), "the orphan's give-up is a firing")
	assert.Equal(t, int64(simnet.RetransmitTimeout), simnet.RetransmitAt(0, int64(simnet.RetransmitTimeout)), "and so is the give-up")
}

// The SYN goes again 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s after the
// first; after the last, only the give-up is left.
func TestSYNRetransmitTimes(t *testing.T) {
	s := int64(time.Second)
	var got []int64
	for at := int64(1); at < int64(simnet.ConnectTimeout); at = simnet.SYNAt(0, at) + 1 {
		got = append(got, simnet.SYNAt(0, at)/s)
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 7, 11, 19, 35, 67, 131}, got)
	assert.Equal(t, 10*s, simnet.SYNAt(3*s, 9*s+1), "counted from the first SYN")
}

// A connect that found the backlog full goes on at the dialler's next
// retransmission of the SYN after an Accept makes room, as on Linux,
// which dropped the SYN; so does one to a host without power, after the
// host is back.
func TestAConnectHeldByTheServerGoesOnAtTheNextSYN(t *testing.T) {
	t.Run("full backlog", func(t *testing.T) {
		simulate(t, 7, backlogOf2(), func(ctx context.Context, client, server providers.Providers) error {
			l, err := server.Network.Listen(ctx, ":80")
			require.NoError(t, err)
			fill(t, ctx, client, "10.0.0.2:80")
			d := dialInTask(ctx, client, "10.0.0.2:80")
			require.NoError(t, client.Time.Sleep(ctx, 2500*time.Millisecond))
			_, err = l.Accept()
			require.NoError(t, err)
			require.NoError(t, d.h.Join(ctx))
			require.NoError(t, d.err)
			assert.InDelta(t, 3*time.Second, d.took, within, "the SYN sent again 3 s after the first finds the room")
			return nil
		})
	})
	t.Run("host without power", func(t *testing.T) {
		w := newWorld(t, 7, chaos.NoNetworkFaults())
		w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			host := w.net.Host("10.0.0.2")
			host.PowerOff()
			d := dialInTask(ctx, client, "10.0.0.2:80")
			require.NoError(t, client.Time.Sleep(ctx, 2500*time.Millisecond))
			host.PowerOn()
			require.NoError(t, d.h.Join(ctx))
			assert.ErrorIs(t, d.err, syscall.ECONNREFUSED, "nobody listens on the host come back")
			assert.InDelta(t, 3*time.Second, d.took, within, "the SYN sent again 3 s after the first finds the host on")
			return nil
		})
	})
}

// A host back from a power loss has lost its sockets: a peer that waits
// for the acknowledgement of what it sent there learns it from the reset
// that answers its next retransmission.
func TestAPeerOfAHostBackFromAPowerLossIsResetAtItsNextRetransmission(t *testing.T) {
	w := newWorld(t, 8, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		c, _ := pair(t, ctx, client, server)
		host := w.net.Host("10.0.0.2")
		host.PowerOff()
		start := client.Time.Now()
		_, err := c.Write([]byte("hello?"))
		require.NoError(t, err)
		require.NoError(t, client.Time.Sleep(ctx, 2*time.Second))
		host.PowerOn()
		_, err = c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.ECONNRESET)
		assert.InDelta(t, 3*time.Second, client.Time.Now().Sub(start), within, "the retransmission at 3.0 s draws the reset")
		return nil
	})
}

// A connection given up on for data its peer never acknowledged says so
// when the peer's host had lost power: the give-up echoes the power loss.
// One given up on across a partition says nothing of the kind.
func TestAGiveUpOnAPeerWithoutPowerSaysSo(t *testing.T) {
	for _, c := range []struct {
		name   string
		cut    func(w *world)
		suffix bool
	}{
		{"host off", func(w *world) { w.net.Host("10.0.0.2").PowerOff() }, true},
		{"partition", func(w *world) { w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 8, chaos.NoNetworkFaults())
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				conn, _ := pair(t, ctx, client, server)
				c.cut(w)
				_, err := conn.Write([]byte("hello?"))
				require.NoError(t, err)
				_, err = conn.Read(make([]byte, 1))
				assert.ErrorIs(t, err, syscall.ETIMEDOUT)
				return nil
			})
			gaveUp := events(res, "timed out: data unacknowledged for")
			require.Len(t, gaveUp, 1)
			if c.suffix {
				assert.True(t, strings.HasSuffix(gaveUp[0], simnet.PeerLostPower), gaveUp[0])
			} else {
				assert.NotContains(t, gaveUp[0], "lost power")
			}
		})
	}
}
