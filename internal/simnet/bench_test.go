package simnet_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

const pingSize = 64

// pingPong makes rounds round trips of a 64-byte message over c, echoed by
// the other end of the connection.
func pingPong(c net.Conn, rounds int) error {
	buf := make([]byte, pingSize)
	for range rounds {
		if _, err := c.Write(buf); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
	}
	return nil
}

func echo(c net.Conn) error {
	buf := make([]byte, pingSize)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if _, err := c.Write(buf); err != nil {
			return err
		}
	}
}

// simPingPong runs rounds round trips between two simulated hosts, with no
// faults, and returns the wall time the run took.
func simPingPong(tb testing.TB, rounds int) time.Duration {
	return simPingPongOn(tb, rounds, chaos.NoNetworkFaults())
}

// simPingPongOn is simPingPong on a network of cfg.
func simPingPongOn(tb testing.TB, rounds int, cfg chaos.Network) time.Duration {
	w := newWorld(tb, 1, cfg)
	start := time.Now()
	w.simulate(tb, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		server.Task.Go(ctx, "echo", func(ctx context.Context) error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			return echo(c)
		})
		c, err := client.Network.Dial(ctx, "10.0.0.2:7")
		if err != nil {
			return err
		}
		defer c.Close()
		return pingPong(c, rounds)
	})
	return time.Since(start)
}

// pipePingPong runs rounds round trips over net.Pipe.
func pipePingPong(tb testing.TB, rounds int) time.Duration {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- echo(b) }()
	start := time.Now()
	if err := pingPong(a, rounds); err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	a.Close()
	<-done
	b.Close()
	return d
}

// tcpPingPong runs rounds round trips over loopback TCP (127.0.0.1 only).
func tcpPingPong(tb testing.TB, rounds int) time.Duration {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- echo(c)
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := pingPong(c, rounds); err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	c.Close()
	<-done
	return d
}

// BenchmarkPingPong measures 64-byte round trips over one simulated
// connection with no faults (one op is one round trip), and reports the
// same over net.Pipe and loopback TCP, measured in the same run, as ratios:
// pipe-ratio is simulated ns per round trip over net.Pipe's.
func BenchmarkPingPong(b *testing.B) {
	b.Run("sim", func(b *testing.B) {
		const floorRounds = 20000
		pipe := float64(pipePingPong(b, floorRounds).Nanoseconds()) / floorRounds
		tcp := float64(tcpPingPong(b, floorRounds).Nanoseconds()) / floorRounds
		b.ReportAllocs()
		b.ResetTimer()
		d := simPingPong(b, b.N)
		per := float64(d.Nanoseconds()) / float64(b.N)
		b.ReportMetric(1e9/per, "roundtrips/s")
		b.ReportMetric(per/pipe, "pipe-ratio")
		b.ReportMetric(per/tcp, "tcp-ratio")
	})
	// With no latency every round trip falls at simulated time zero: the
	// event queue holds what is queued, not every event of the instant,
	// and the livelock guard sees data move.
	b.Run("sim-zero-latency", func(b *testing.B) {
		b.ReportAllocs()
		d := simPingPongOn(b, b.N, chaos.Network{})
		b.ReportMetric(1e9*float64(b.N)/float64(d.Nanoseconds()), "roundtrips/s")
	})
	b.Run("pipe", func(b *testing.B) {
		b.ReportAllocs()
		d := pipePingPong(b, b.N)
		b.ReportMetric(1e9*float64(b.N)/float64(d.Nanoseconds()), "roundtrips/s")
	})
	b.Run("tcp", func(b *testing.B) {
		b.ReportAllocs()
		d := tcpPingPong(b, b.N)
		b.ReportMetric(1e9*float64(b.N)/float64(d.Nanoseconds()), "roundtrips/s")
	})
}

// udpPingPong times rounds datagram round trips of pingSize bytes over
// loopback UDP: the floor of BenchmarkDatagramPingPong.
func udpPingPong(tb testing.TB, rounds int) time.Duration {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:k], from)
		}
	}()
	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, pingSize)
	start := time.Now()
	for range rounds {
		if _, err := c.Write(buf); err != nil {
			tb.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkDatagramPingPong measures datagram round trips of pingSize
// bytes with no faults (one op is one round trip), and reports their
// ratio to loopback UDP's, measured in the same run.
func BenchmarkDatagramPingPong(b *testing.B) {
	const floorRounds = 20000
	udp := float64(udpPingPong(b, floorRounds).Nanoseconds()) / floorRounds
	b.ReportAllocs()
	var d time.Duration
	res := datagramPingPong(b, chaos.NoNetworkFaults(), "10.0.0.2", 10, func(do func()) {
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			do()
		}
		d = time.Since(start)
		b.StopTimer()
	})
	if res.Err != nil {
		b.Fatal(res.Err)
	}
	per := float64(d.Nanoseconds()) / float64(b.N)
	b.ReportMetric(1e9/per, "roundtrips/s")
	b.ReportMetric(per/udp, "udp-ratio")
}

// BenchmarkBulkTransfer sends 1 GiB over one simulated connection with no
// faults, in 64 KiB writes, through the default 64 KiB send buffer; one op
// is the whole GiB.
func BenchmarkBulkTransfer(b *testing.B) {
	const total = 1 << 30
	b.SetBytes(total)
	b.ReportAllocs()
	var simTime time.Duration
	for range b.N {
		res := simulate(b, 1, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
			l, err := server.Network.Listen(ctx, ":9")
			if err != nil {
				return err
			}
			sink := server.Task.Go(ctx, "sink", func(ctx context.Context) error {
				c, err := l.Accept()
				if err != nil {
					return err
				}
				n, err := io.CopyBuffer(io.Discard, c, make([]byte, 64<<10))
				if err == nil && n != total {
					err = io.ErrUnexpectedEOF
				}
				return err
			})
			c, err := client.Network.Dial(ctx, "10.0.0.2:9")
			if err != nil {
				return err
			}
			buf := make([]byte, 64<<10)
			for sent := 0; sent < total; sent += len(buf) {
				if _, err := c.Write(buf); err != nil {
					return err
				}
			}
			if err := c.Close(); err != nil {
				return err
			}
			return sink.Join(ctx)
		})
		simTime = res.SimTime
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/GiB")
	b.ReportMetric(simTime.Seconds(), "sim-s/GiB")
}

// BenchmarkHostDeadline measures a deadline set and cancelled on a host's
// clock 50ms behind simulated time: alone, and under another deadline
// of the host's that ends later (its own timer) or sooner (none).
func BenchmarkHostDeadline(b *testing.B) {
	for _, tc := range []struct {
		name   string
		parent time.Duration // 0: none
	}{{"top", 0}, {"nested-own", time.Hour}, {"nested-parents", time.Millisecond}} {
		b.Run(tc.name, func(b *testing.B) {
			w := newWorld(b, 1, chaos.NoNetworkFaults())
			h := w.net.Host("10.0.0.9")
			simnet.SetClock(h, -50*time.Millisecond, 0)
			c := h.Time()
			res := w.run(func(ctx context.Context, p providers.Providers) error {
				if tc.parent > 0 {
					var cancel context.CancelFunc
					ctx, cancel = c.WithTimeout(ctx, tc.parent)
					defer cancel()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					_, cancel := c.WithTimeout(ctx, time.Second)
					cancel()
				}
				b.StopTimer()
				return nil
			})
			if res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	}
}
