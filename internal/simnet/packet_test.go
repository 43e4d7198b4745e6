package simnet_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// perfect is a network with a fixed latency and no faults.
func perfect() chaos.Network {
	return chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}}
}

// sockets opens a datagram socket on each of client and server.
func sockets(t *testing.T, ctx context.Context, client, server providers.Providers) (c, s net.PacketConn) {
	c, err := client.Network.ListenPacket(ctx, ":0")
	require.NoError(t, err)
	s, err = server.Network.ListenPacket(ctx, ":9")
	require.NoError(t, err)
	return c, s
}

// blast sends count numbered datagrams from c to s's address, then reads
// what arrives until the network is quiet for a second, and returns the
// numbers in the order they arrived.
func blast(t *testing.T, ctx context.Context, client providers.Providers, c, s net.PacketConn, count int) []uint32 {
	for i := range count {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(i))
		_, err := c.WriteTo(b[:], s.LocalAddr())
		require.NoError(t, err)
	}
	var got []uint32
	buf := make([]byte, 16)
	for {
		require.NoError(t, s.SetReadDeadline(client.Time.Now().Add(time.Second)))
		k, _, err := s.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		require.NoError(t, err)
		require.Equal(t, 4, k)
		got = append(got, binary.BigEndian.Uint32(buf))
	}
}

func TestDatagramRoundTrip(t *testing.T) {
	simulate(t, 1, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		assert.Equal(t, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2).To4(), Port: 9}, s.LocalAddr())
		sent := client.Time.Now()
		k, err := c.WriteTo([]byte("ping"), s.LocalAddr())
		require.NoError(t, err)
		assert.Equal(t, 4, k)
		buf := make([]byte, 100)
		k, from, err := s.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf[:k]))
		assert.Equal(t, c.LocalAddr(), from, "ReadFrom tells the sender's address")
		assert.Equal(t, time.Millisecond, client.Time.Now().Sub(sent), "one latency")

		// The answer goes back to the address ReadFrom gave, and an
		// address from net.ResolveUDPAddr works as well.
		_, err = s.WriteTo([]byte("pong"), from)
		require.NoError(t, err)
		k, _, err = c.ReadFrom(buf[:2])
		require.NoError(t, err)
		assert.Equal(t, "po", string(buf[:k]), "a short buffer cuts the datagram, as package net does")
		to, err := net.ResolveUDPAddr("udp", "10.0.0.2:9")
		require.NoError(t, err)
		_, err = c.WriteTo([]byte("again"), to)
		require.NoError(t, err)
		k, _, err = s.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "again", string(buf[:k]))
		return nil
	})
}

func TestDatagramOverMaxSizeFails(t *testing.T) {
	cfg := perfect()
	cfg.MaxDatagramSize = 1000
	simulate(t, 1, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		_, err := c.WriteTo(make([]byte, 1000), s.LocalAddr())
		require.NoError(t, err, "the maximum itself passes")
		_, err = c.WriteTo(make([]byte, 1001), s.LocalAddr())
		require.ErrorIs(t, err, syscall.EMSGSIZE)
		assert.ErrorContains(t, err, "a datagram of 1001 bytes is over the network's maximum of 1000 (chaos.Network.MaxDatagramSize)")
		var op *net.OpError
		require.ErrorAs(t, err, &op)
		assert.Equal(t, "write", op.Op)
		assert.Equal(t, "udp", op.Net)

		require.NoError(t, s.SetReadDeadline(server.Time.Now().Add(time.Second)))
		_, _, err = s.ReadFrom(make([]byte, 2000))
		require.NoError(t, err)
		_, _, err = s.ReadFrom(make([]byte, 2000))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the datagram over the limit was not sent")
		return nil
	})
}

func TestDatagramDefaultMaxSizeIsEthernets(t *testing.T) {
	simulate(t, 1, chaos.Network{}, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		_, err := c.WriteTo(make([]byte, chaos.DefaultMaxDatagramSize), s.LocalAddr())
		require.NoError(t, err)
		_, err = c.WriteTo(make([]byte, chaos.DefaultMaxDatagramSize+1), s.LocalAddr())
		require.ErrorIs(t, err, syscall.EMSGSIZE)
		return nil
	})
}

func TestDatagramLoss(t *testing.T) {
	cfg := perfect()
	cfg.DatagramLossProb = 0.2
	var got []uint32
	res := simulate(t, 2, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		got = blast(t, ctx, client, c, s, 1000)
		return nil
	})
	lost := events(res, "lost:")
	assert.Len(t, lost, 1000-len(got), "each loss is in the timeline")
	assert.InDelta(t, 800, len(got), 50, "about a fifth is lost")
	for i := 1; i < len(got); i++ {
		require.Less(t, got[i-1], got[i], "what is not lost arrives in order, once")
	}
}

func TestDatagramDuplication(t *testing.T) {
	cfg := perfect()
	cfg.DatagramDupProb = 0.1
	var got []uint32
	res := simulate(t, 3, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		got = blast(t, ctx, client, c, s, 1000)
		return nil
	})
	dups := events(res, "duplicated:")
	assert.Len(t, got, 1000+len(dups), "each duplicate arrives, and is in the timeline")
	assert.InDelta(t, 100, len(dups), 40)
	seen := map[uint32]int{}
	for _, v := range got {
		seen[v]++
	}
	assert.Len(t, seen, 1000, "nothing is lost")
}

func TestDatagramsKeepTheirOrderWithoutTheFault(t *testing.T) {
	// Datagrams between two sockets keep their order even when each
	// latency is drawn from a wide range.
	cfg := chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Microsecond, Max: 5 * time.Millisecond}}}
	var got []uint32
	simulate(t, 4, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		got = blast(t, ctx, client, c, s, 500)
		return nil
	})
	require.Len(t, got, 500)
	assert.Zero(t, inversions(got))
}

// inversions counts the values of got that arrive after a larger one.
func inversions(got []uint32) int {
	var n int
	var top uint32
	for i, v := range got {
		if i > 0 && v < top {
			n++
		}
		top = max(top, v)
	}
	return n
}

func TestDatagramReorderingHoldsSomeBack(t *testing.T) {
	cfg := perfect()
	cfg.DatagramReorderProb = 0.05
	cfg.DatagramReorderDelay = chaos.Range{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}
	var got []uint32
	res := simulate(t, 5, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		// One datagram per millisecond: one held back 10-20ms arrives
		// after the next ten or more.
		for i := range 1000 {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(i))
			_, err := c.WriteTo(b[:], s.LocalAddr())
			require.NoError(t, err)
			require.NoError(t, client.Time.Sleep(ctx, time.Millisecond))
		}
		got = blast(t, ctx, client, c, s, 0)
		return nil
	})
	held := events(res, "reordered:")
	require.Len(t, got, 1000, "reordering loses nothing")
	assert.InDelta(t, 50, len(held), 25)
	assert.Equal(t, len(held), inversions(got), "each one held back arrives after a later one")
}

func TestDatagramLatency(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: 2 * time.Millisecond, Max: 2 * time.Millisecond}}, MaxPairLatency: 0}
	simulate(t, 1, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		for range 10 {
			sent := client.Time.Now()
			_, err := c.WriteTo([]byte("x"), s.LocalAddr())
			require.NoError(t, err)
			_, _, err = s.ReadFrom(make([]byte, 1))
			require.NoError(t, err)
			assert.Equal(t, 2*time.Millisecond, client.Time.Now().Sub(sent))
		}
		return nil
	})
}

func TestDatagramPartitionLoses(t *testing.T) {
	w := newWorld(t, 6, perfect())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		got := blast(t, ctx, client, c, s, 10)
		assert.Empty(t, got, "a partition loses datagrams; it does not hold them")
		w.net.Heal()
		got = blast(t, ctx, client, c, s, 10)
		assert.Len(t, got, 10, "after the heal they pass")

		w.net.Clog("10.0.0.1", "10.0.0.2", time.Second)
		got = blast(t, ctx, client, c, s, 10)
		assert.Empty(t, got, "a clog loses them too")
		return nil
	})
	assert.Len(t, events(res, "lost to a partition or clog"), 20)
}

func TestDatagramRandomPartitionsLose(t *testing.T) {
	cfg := perfect()
	cfg.PartitionInterval = 2 * time.Second
	cfg.PartitionDuration = chaos.Range{Min: 500 * time.Millisecond, Max: time.Second}
	var got int
	res := simulate(t, 7, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		server.Task.Go(ctx, "reader", func(ctx context.Context) error {
			buf := make([]byte, 4)
			for {
				if _, _, err := s.ReadFrom(buf); err != nil {
					return nil
				}
				got++
			}
		})
		for range 2000 {
			_, err := c.WriteTo([]byte("ping"), s.LocalAddr())
			require.NoError(t, err)
			require.NoError(t, client.Time.Sleep(ctx, 10*time.Millisecond))
		}
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		return s.Close()
	})
	lost := events(res, "lost to a partition or clog")
	assert.NotEmpty(t, events(res, "random partition"))
	assert.NotEmpty(t, lost)
	assert.Equal(t, 2000, got+len(lost))
}

func TestDatagramBufferOverflowDrops(t *testing.T) {
	cfg := perfect()
	cfg.DatagramBuffer = 10 * chaos.DefaultMaxDatagramSize
	var got int
	res := simulate(t, 1, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)
		for range 20 {
			_, err := c.WriteTo(make([]byte, chaos.DefaultMaxDatagramSize), s.LocalAddr())
			require.NoError(t, err)
		}
		require.NoError(t, s.SetReadDeadline(server.Time.Now().Add(time.Second)))
		for {
			if _, _, err := s.ReadFrom(make([]byte, 2000)); err != nil {
				require.ErrorIs(t, err, os.ErrDeadlineExceeded)
				return nil
			}
			got++
		}
	})
	assert.Equal(t, 10, got, "a socket holds DatagramBuffer bytes")
	assert.Len(t, events(res, "receive buffer is full"), 10)
}

func TestDatagramSocketErrors(t *testing.T) {
	simulate(t, 1, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := sockets(t, ctx, client, server)

		_, err := server.Network.ListenPacket(ctx, ":9")
		require.ErrorIs(t, err, syscall.EADDRINUSE)
		l, err := server.Network.Listen(ctx, ":9")
		require.NoError(t, err, "datagram ports are apart from TCP's")
		require.NoError(t, l.Close())
		_, err = server.Network.ListenPacket(ctx, "10.9.9.9:1")
		require.ErrorIs(t, err, syscall.EADDRNOTAVAIL)

		// To a port or a host nobody holds: dropped, and WriteTo is none
		// the wiser, as with UDP.
		_, err = c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 10})
		require.NoError(t, err)
		_, err = c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 9, 9, 9), Port: 10})
		require.NoError(t, err)
		_, err = c.WriteTo([]byte("x"), nil)
		require.ErrorContains(t, err, "missing address")

		require.NoError(t, s.SetReadDeadline(server.Time.Now().Add(time.Second)))
		_, _, err = s.ReadFrom(make([]byte, 1))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout())

		// A task blocked in ReadFrom wakes when the socket closes.
		h := server.Task.Go(ctx, "reader", func(ctx context.Context) error {
			require.NoError(t, s.SetReadDeadline(time.Time{}))
			_, _, err := s.ReadFrom(make([]byte, 1))
			return err
		})
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		require.NoError(t, s.Close())
		require.ErrorIs(t, h.Join(ctx), net.ErrClosed)
		require.ErrorIs(t, s.Close(), net.ErrClosed)
		_, err = s.WriteTo([]byte("x"), c.LocalAddr())
		require.ErrorIs(t, err, net.ErrClosed)

		s2, err := server.Network.ListenPacket(ctx, ":9")
		require.NoError(t, err, "the port is free again")
		return s2.Close()
	})
}

func TestCrashClosesDatagramSockets(t *testing.T) {
	w := newWorld(t, 1, perfect())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		_, s := sockets(t, ctx, client, server)
		h := server.Task.Go(ctx, "reader", func(ctx context.Context) error {
			_, _, err := s.ReadFrom(make([]byte, 1))
			return err
		})
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		w.net.Host("10.0.0.2").Crash()
		require.ErrorIs(t, h.Join(ctx), net.ErrClosed)
		_, err := server.Network.ListenPacket(ctx, ":9")
		require.NoError(t, err, "the port is free after the crash")
		return nil
	})
	assert.Len(t, events(res, "1 datagram socket closed"), 1)
}

func TestDatagramsAreDeterministic(t *testing.T) {
	cfg := chaos.DefaultNetwork()
	cfg.DatagramLossProb, cfg.DatagramDupProb, cfg.DatagramReorderProb = 0.1, 0.1, 0.1
	run := func() uint64 {
		return simulate(t, 8, cfg, func(ctx context.Context, client, server providers.Providers) error {
			c, s := sockets(t, ctx, client, server)
			blast(t, ctx, client, c, s, 300)
			return nil
		}).Trace
	}
	assert.Equal(t, run(), run())
}

// The resilient protocol: a client sends numbered requests and resends
// each until it is acknowledged; the server applies each request once,
// however many copies arrive, and acknowledges every copy.

func TestRequestAckSurvivesDatagramFaults(t *testing.T) {
	cfg := chaos.DefaultNetwork()
	cfg.DatagramLossProb = 0.2
	cfg.DatagramDupProb = 0.1
	cfg.DatagramReorderProb = 0.1
	cfg.PartitionInterval = 5 * time.Second
	seeds := uint64(30)
	if testing.Short() {
		seeds = 8
	}
	faults := map[string]int{}
	for seed := range seeds {
		res := simulate(t, seed, cfg, func(ctx context.Context, client, server providers.Providers) error {
			c, s := sockets(t, ctx, client, server)
			applied := map[uint32]int{}
			var total uint64
			server.Task.Go(ctx, "server", func(ctx context.Context) error {
				buf := make([]byte, 64)
				for {
					k, from, err := s.ReadFrom(buf)
					if err != nil {
						return nil
					}
					if k != 12 {
						continue
					}
					id := binary.BigEndian.Uint32(buf)
					if applied[id] == 0 {
						total += binary.BigEndian.Uint64(buf[4:])
					}
					applied[id]++
					if _, err := s.WriteTo(buf[:4], from); err != nil {
						return err
					}
				}
			})
			const requests = 200
			var want uint64
			buf := make([]byte, 64)
			for id := range uint32(requests) {
				req := make([]byte, 12)
				binary.BigEndian.PutUint32(req, id)
				binary.BigEndian.PutUint64(req[4:], uint64(id)*7)
				want += uint64(id) * 7
				for acked := false; !acked; {
					if _, err := c.WriteTo(req, s.LocalAddr()); err != nil {
						return err
					}
					if err := c.SetReadDeadline(client.Time.Now().Add(20 * time.Millisecond)); err != nil {
						return err
					}
					for {
						k, _, err := c.ReadFrom(buf)
						if errors.Is(err, os.ErrDeadlineExceeded) {
							break // resend
						}
						if err != nil {
							return err
						}
						if k == 4 && binary.BigEndian.Uint32(buf) == id {
							acked = true
							break
						}
						// an old or duplicated ack: read on
					}
				}
			}
			if len(applied) != requests || total != want {
				return fmt.Errorf("applied %d requests summing to %d; want %d summing to %d", len(applied), total, requests, want)
			}
			return s.Close()
		})
		for _, kind := range []string{"lost:", "duplicated:", "reordered:", "lost to a partition", "slow packet"} {
			faults[kind] += len(events(res, kind))
		}
	}
	for kind, n := range faults {
		assert.Positive(t, n, "the protocol met %q", kind)
	}
	t.Logf("faults survived over %d seeds: %v", seeds, faults)
}

func TestExemptPortSkipsFaults(t *testing.T) {
	cfg := perfect()
	cfg.DatagramLossProb = 1
	cfg.PartialReadProb, cfg.PartialWriteProb = 1, 1
	cfg.ConnectFailProb = 1
	cfg.BitFlipProb = 1
	w := newWorld(t, 9, cfg)
	w.net.Exempt(7)
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})

		// Datagrams to or from port 7 pass loss and the partition.
		c, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		s, err := server.Network.ListenPacket(ctx, ":7")
		require.NoError(t, err)
		sent := client.Time.Now()
		_, err = c.WriteTo([]byte("ping"), s.LocalAddr())
		require.NoError(t, err)
		buf := make([]byte, 16)
		k, from, err := s.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf[:k]))
		assert.Equal(t, time.Millisecond, client.Time.Now().Sub(sent), "latency stays")
		_, err = s.WriteTo([]byte("pong"), from)
		require.NoError(t, err)
		_, _, err = c.ReadFrom(buf)
		require.NoError(t, err)

		// A connection to a listener on port 7 passes every fault.
		l, err := server.Network.Listen(ctx, ":7")
		require.NoError(t, err)
		serveEcho(ctx, server, l)
		conn, err := client.Network.Dial(ctx, "10.0.0.2:7")
		require.NoError(t, err)
		for i := range 20 {
			payload := make([]byte, 100+i)
			require.NoError(t, writeFrame(conn, payload))
			got, err := readFrame(conn)
			require.NoError(t, err)
			require.Equal(t, payload, got)
		}

		// Other ports see the faults.
		s8, err := server.Network.ListenPacket(ctx, ":8")
		require.NoError(t, err)
		_, err = c.WriteTo([]byte("x"), s8.LocalAddr())
		require.NoError(t, err)
		w.net.Heal()
		dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		defer cancel()
		l9, err := server.Network.Listen(ctx, ":9")
		require.NoError(t, err)
		defer l9.Close()
		_, err = client.Network.Dial(dctx, "10.0.0.2:9")
		require.Error(t, err, "a connect to another port fails by fault")
		return nil
	})
	assert.Len(t, events(res, "port 7 exempt from faults"), 1)
	assert.Empty(t, events(res, "partial"), "no partial reads or writes on the exempt connection")
	assert.Empty(t, events(res, "bit flip"))
	assert.Len(t, events(res, "lost:"), 1, "only the datagram to port 8 is lost")
	assert.Empty(t, events(res, "10.0.0.2:7 refused"))
	assert.NotEmpty(t, events(res, "10.0.0.2:9 refused"), "only the connect to port 9 fails")
}

// A datagram socket on a loopback address is on the loopback interface
// alone, as on Linux: another host's datagrams to its port are dropped,
// its own host's reach it over loopback, and it cannot send off its host.
func TestALoopbackDatagramSocketHearsItsOwnHostOnly(t *testing.T) {
	simulate(t, 3, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		s, err := server.Network.ListenPacket(ctx, "127.0.0.1:9")
		require.NoError(t, err)
		assert.Equal(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 9}, s.LocalAddr())

		far, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		_, err = far.WriteTo([]byte("far"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9})
		require.NoError(t, err, "sent, and dropped on arrival")
		near, err := server.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		_, err = near.WriteTo([]byte("own name"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9})
		require.NoError(t, err, "sent to the host's own address, where nobody holds the port")
		_, err = near.WriteTo([]byte("near"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
		require.NoError(t, err)

		buf := make([]byte, 16)
		require.NoError(t, s.SetReadDeadline(server.Time.Now().Add(time.Second)))
		k, from, err := s.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "near", string(buf[:k]), "only the datagram sent over loopback")
		nearPort := near.LocalAddr().(*net.UDPAddr).Port
		assert.Equal(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: nearPort}, from)
		_, _, err = s.ReadFrom(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing else arrived")

		// The answer goes back over loopback, from the socket's address.
		_, err = s.WriteTo([]byte("back"), from)
		require.NoError(t, err)
		require.NoError(t, near.SetReadDeadline(server.Time.Now().Add(time.Second)))
		k, from, err = near.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "back", string(buf[:k]))
		assert.Equal(t, "127.0.0.1:9", from.String())

		_, err = s.WriteTo([]byte("out"), far.LocalAddr())
		require.ErrorIs(t, err, syscall.EINVAL, "a loopback socket cannot send off its host")
		return nil
	})
}

// A datagram sent over loopback to a port nobody holds (a resolver's
// query to 127.0.0.1:53) is told in the timeline by the address it was
// sent to, not by its host's.
func TestALoopbackDatagramDroppedIsToldByItsLoopbackAddress(t *testing.T) {
	res := simulate(t, 3, perfect(), func(ctx context.Context, _, server providers.Providers) error {
		c, err := server.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		_, err = c.WriteTo([]byte("query"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53})
		require.NoError(t, err)
		return server.Time.Sleep(ctx, time.Second)
	})
	dropped := events(res, "dropped: no socket")
	require.Len(t, dropped, 1)
	assert.Contains(t, dropped[0], "-> 127.0.0.1:53 dropped: no socket")
}

// A connected datagram socket hears, as on Linux, that its datagram found
// no socket on its peer's host: ICMP port unreachable comes back, and its
// next read or write fails with ECONNREFUSED, once. An unconnected socket
// hears nothing.
func TestAConnectedDatagramSocketHearsPortUnreachable(t *testing.T) {
	simulate(t, 3, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		nobody := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9}
		buf := make([]byte, 16)

		plain, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		_, err = plain.WriteTo([]byte("anyone?"), nobody)
		require.NoError(t, err)
		require.NoError(t, plain.SetReadDeadline(client.Time.Now().Add(time.Second)))
		_, _, err = plain.ReadFrom(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "an unconnected socket hears nothing")

		c, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		c.(interface{ Connect() }).Connect()
		_, err = c.WriteTo([]byte("anyone?"), nobody)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(time.Second)))
		start := client.Time.Now()
		_, _, err = c.ReadFrom(buf)
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "the waiting read hears it")
		assert.Equal(t, 2*time.Millisecond, client.Time.Now().Sub(start), "a round trip")
		_, _, err = c.ReadFrom(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "once")

		_, err = c.WriteTo([]byte("again"), nobody)
		require.NoError(t, err)
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		_, err = c.WriteTo([]byte("and again"), nobody)
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "the next write hears it")
		_, err = c.WriteTo([]byte("once more"), nobody)
		require.NoError(t, err, "once")
		require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(time.Second)))
		_, _, err = c.ReadFrom(buf)
		require.ErrorIs(t, err, syscall.ECONNREFUSED)

		// A host without power answers nothing.
		server.Network.(interface{ PowerOff() }).PowerOff()
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(time.Second)))
		_, err = c.WriteTo([]byte("dark"), nobody)
		require.NoError(t, err)
		_, _, err = c.ReadFrom(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		return nil
	})
}

// TakeError takes the port unreachable that waits for a connected
// socket's next read, as getsockopt(SO_ERROR) does: once, and the read
// then waits for datagrams.
func TestTakeErrorTakesAPortUnreachable(t *testing.T) {
	simulate(t, 2, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		nobody := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9}
		c, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		take := c.(interface{ TakeError() error }).TakeError
		require.NoError(t, take(), "none waits")
		c.(interface{ Connect() }).Connect()
		_, err = c.WriteTo([]byte("anyone?"), nobody)
		require.NoError(t, err)
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		require.ErrorIs(t, take(), syscall.ECONNREFUSED)
		require.NoError(t, take(), "once")
		require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(time.Second)))
		_, _, err = c.ReadFrom(make([]byte, 16))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the read does not hear it again")
		return nil
	})
}

// An IP address no host holds resolves to itself, as package net looks no
// address up; a name no host has does not. What is sent to the address is
// lost, as a datagram to a host that is not there is.
func TestDatagramToAnAddressNoHostHolds(t *testing.T) {
	res := simulate(t, 1, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		to, err := providers.ResolveUDP(ctx, client.Network, "10.9.9.9:53")
		require.NoError(t, err)
		assert.Equal(t, &net.UDPAddr{IP: net.IPv4(10, 9, 9, 9).To4(), Port: 53}, to)
		to6, err := providers.ResolveUDP(ctx, client.Network, "[2001:db8::1]:53")
		require.NoError(t, err)
		assert.Equal(t, "[2001:db8::1]:53", to6.String())
		_, err = providers.ResolveUDP(ctx, client.Network, "nosuch:53")
		var de *net.DNSError
		require.ErrorAs(t, err, &de)
		assert.True(t, de.IsNotFound)

		c, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		k, err := c.WriteTo([]byte("ping"), to)
		require.NoError(t, err, "a datagram to nobody is sent, and lost")
		assert.Equal(t, 4, k)
		return nil
	})
	assert.Len(t, events(res, "dropped: no such host"), 1)
}
