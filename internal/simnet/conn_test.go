package simnet_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// pair connects client to a listener on server and returns both ends.
func pair(t *testing.T, ctx context.Context, client, server providers.Providers) (c, s net.Conn) {
	t.Helper()
	l, err := server.Network.Listen(ctx, ":0")
	require.NoError(t, err)
	var accepted net.Conn
	h := server.Task.Go(ctx, "accept", func(context.Context) error {
		var err error
		accepted, err = l.Accept()
		return err
	})
	c, err = client.Network.Dial(ctx, l.Addr().String())
	require.NoError(t, err)
	require.NoError(t, h.Join(ctx))
	require.NoError(t, l.Close())
	return c, accepted
}

// quietPair is pair with the keep-alive probes of both ends off, for
// tests of what retransmissions do on their own: Go's probes would drop
// an idle end across a long cut first (keepalive_test.go).
func quietPair(t *testing.T, ctx context.Context, client, server providers.Providers) (c, s net.Conn) {
	t.Helper()
	c, s = pair(t, ctx, client, server)
	for _, x := range []net.Conn{c, s} {
		require.NoError(t, x.(keepAliveConn).SetKeepAlive(false))
	}
	return c, s
}

func TestEcho(t *testing.T) {
	simulate(t, 1, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		assert.Equal(t, "10.0.0.2:80", l.Addr().String())
		server.Task.Go(ctx, "server", func(ctx context.Context) error {
			c, err := l.Accept()
			require.NoError(t, err)
			assert.Equal(t, "10.0.0.2:80", c.LocalAddr().String())
			_, err = io.Copy(c, c)
			require.NoError(t, err)
			return c.Close()
		})
		c, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		_, ok := c.RemoteAddr().(*net.TCPAddr)
		assert.True(t, ok, "an IP-named host gives *net.TCPAddr addresses")
		assert.Equal(t, "10.0.0.2:80", c.RemoteAddr().String())
		assert.True(t, strings.HasPrefix(c.LocalAddr().String(), "10.0.0.1:"), c.LocalAddr().String())
		_, err = c.Write([]byte("hello"))
		require.NoError(t, err)
		require.NoError(t, c.(interface{ CloseWrite() error }).CloseWrite())
		got, err := io.ReadAll(c)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(got))
		return c.Close()
	})
}

func TestConnectTakesARoundTrip(t *testing.T) {
	cfg := chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}}
	simulate(t, 1, cfg, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		start := client.Time.Now()
		var acceptedAt time.Time
		server.Task.Go(ctx, "server", func(ctx context.Context) error {
			c, err := l.Accept()
			acceptedAt = server.Time.Now()
			require.NoError(t, err)
			_, err = c.Write([]byte("x"))
			return err
		})
		c, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		assert.Equal(t, 2*time.Millisecond, client.Time.Now().Sub(start), "dial returns after a round trip")
		assert.Equal(t, time.Millisecond, acceptedAt.Sub(start), "accept returns after one way")
		b := make([]byte, 1)
		_, err = c.Read(b)
		require.NoError(t, err)
		assert.Equal(t, 2*time.Millisecond, client.Time.Now().Sub(start), "the server's first byte left at accept")
		return nil
	})
}

func TestGracefulCloseDeliversBufferedDataThenEOF(t *testing.T) {
	simulate(t, 2, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		msg := strings.Repeat("data ", 10000) // more than one send buffer
		w := client.Task.Go(ctx, "writer", func(context.Context) error {
			if _, err := io.WriteString(c, msg); err != nil {
				return err
			}
			return c.Close()
		})
		client.Time.Sleep(ctx, time.Second)
		got, err := io.ReadAll(s)
		require.NoError(t, err, "io.ReadAll stops at io.EOF")
		assert.Equal(t, msg, string(got))
		n, err := s.Read(make([]byte, 1))
		assert.Equal(t, 0, n)
		assert.Same(t, io.EOF, err, "EOF is the bare io.EOF, as package net gives")
		return w.Join(ctx)
	})
}

func TestAbortiveCloseResetsThePeer(t *testing.T) {
	for _, how := range []string{"linger0", "unread-data"} {
		t.Run(how, func(t *testing.T) {
			simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
				c, s := pair(t, ctx, client, server)
				_, err := s.Write([]byte("pending, never read by the client"))
				require.NoError(t, err)
				if how == "linger0" {
					require.NoError(t, c.(interface{ SetLinger(int) error }).SetLinger(0))
				} else {
					client.Time.Sleep(ctx, 10*time.Millisecond) // the data arrives, unread
				}
				_, err = c.Write([]byte("sent before the reset"))
				require.NoError(t, err)
				require.NoError(t, c.Close())
				client.Time.Sleep(ctx, 10*time.Millisecond)

				_, err = s.Read(make([]byte, 100))
				assert.True(t, errors.Is(err, syscall.ECONNRESET), "got %v", err)
				var oe *net.OpError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, "read", oe.Op)
				assert.Contains(t, err.Error(), "connection reset by peer")
				_, err = s.Write([]byte("x"))
				assert.True(t, errors.Is(err, syscall.EPIPE), "got %v", err)
				n, err := s.Read(make([]byte, 100))
				assert.Zero(t, n)
				assert.Same(t, io.EOF, err, "a reset is told once, as on Linux: later reads see EOF")
				return nil
			})
		})
	}
}

func TestWriteToClosedPeerIsAnsweredWithReset(t *testing.T) {
	simulate(t, 4, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		require.NoError(t, s.Close())
		client.Time.Sleep(ctx, 10*time.Millisecond)
		_, err := c.Write([]byte("into the void"))
		require.NoError(t, err, "the first write is accepted: the peer's reset is on its way")
		client.Time.Sleep(ctx, 10*time.Millisecond)
		_, err = c.Write([]byte("again"))
		assert.True(t, errors.Is(err, syscall.EPIPE), "got %v", err)
		assert.Contains(t, err.Error(), "broken pipe")
		return nil
	})
}

func TestSendBufferBlocksTheWriterUntilThePeerReads(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SendBuffer = 1000
	simulate(t, 5, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		var wrote int
		w := client.Task.Go(ctx, "writer", func(context.Context) error {
			for range 10 {
				n, err := c.Write(make([]byte, 300))
				wrote += n
				if err != nil {
					return err
				}
			}
			return nil
		})
		client.Time.Sleep(ctx, time.Second)
		assert.Equal(t, 900, wrote, "three writes fit, the fourth waits inside Write with 100 of its bytes in the full buffer")
		buf := make([]byte, 500)
		n, err := io.ReadFull(s, buf)
		require.NoError(t, err)
		require.Equal(t, 500, n)
		client.Time.Sleep(ctx, time.Second)
		assert.Equal(t, 1500, wrote, "reading freed room for as much")
		_, err = io.ReadFull(s, make([]byte, 2500))
		require.NoError(t, err)
		return w.Join(ctx)
	})
}

func TestCloseReadUnblocksThePeersWriter(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SendBuffer = 1000
	simulate(t, 5, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		var wrote int
		w := client.Task.Go(ctx, "writer", func(context.Context) error {
			n, err := c.Write(make([]byte, 3000))
			wrote = n
			return err
		})
		client.Time.Sleep(ctx, time.Second)
		require.Equal(t, 0, wrote, "the write waits inside Write with the buffer full")

		require.NoError(t, s.(interface{ CloseRead() error }).CloseRead())
		jctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		defer cancel()
		require.NoError(t, w.Join(jctx), "CloseRead drops the unread bytes, freeing the writer's buffer")
		assert.Equal(t, 3000, wrote, "the rest of the write went out and was dropped on arrival")

		n, err := s.Read(make([]byte, 1))
		assert.Equal(t, 0, n)
		assert.ErrorIs(t, err, io.EOF, "reads after CloseRead see EOF")
		return nil
	})
}

func TestDeadlines(t *testing.T) {
	simulate(t, 7, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)

		start := client.Time.Now()
		require.NoError(t, c.SetReadDeadline(start.Add(50*time.Millisecond)))
		_, err := c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout())
		assert.Equal(t, 50*time.Millisecond, client.Time.Now().Sub(start), "the deadline is exact in simulated time")

		// A deadline in the past fails at once, even with data to read.
		_, err = s.Write([]byte("x"))
		require.NoError(t, err)
		client.Time.Sleep(ctx, 10*time.Millisecond)
		_, err = c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.NoError(t, c.SetReadDeadline(time.Time{}))
		_, err = c.Read(make([]byte, 1))
		assert.NoError(t, err, "the zero time clears the deadline")

		// A write deadline ends a write blocked on a full buffer.
		require.NoError(t, c.SetWriteDeadline(client.Time.Now().Add(time.Second)))
		n, err := c.Write(make([]byte, chaos.DefaultSendBuffer+1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		assert.Equal(t, chaos.DefaultSendBuffer, n, "a write reports what it wrote before the deadline")

		// A deadline set while a read waits wakes it.
		rd := client.Task.Go(ctx, "reader", func(context.Context) error {
			_, err := s.Read(make([]byte, 1<<20))
			_, err = s.Read(make([]byte, 1<<20))
			return err
		})
		client.Time.Sleep(ctx, 10*time.Millisecond)
		require.NoError(t, s.SetReadDeadline(server.Time.Now()))
		assert.ErrorIs(t, rd.Join(ctx), os.ErrDeadlineExceeded)

		// And accept deadlines, as *net.TCPListener's.
		l, err := server.Network.Listen(ctx, ":81")
		require.NoError(t, err)
		require.NoError(t, l.(interface{ SetDeadline(time.Time) error }).SetDeadline(server.Time.Now().Add(time.Second)))
		_, err = l.Accept()
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		return nil
	})
}

func TestCloseWakesBlockedCalls(t *testing.T) {
	simulate(t, 8, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, _ := pair(t, ctx, client, server)
		rd := client.Task.Go(ctx, "reader", func(context.Context) error {
			_, err := c.Read(make([]byte, 1))
			return err
		})
		l, err := server.Network.Listen(ctx, ":82")
		require.NoError(t, err)
		ac := server.Task.Go(ctx, "acceptor", func(context.Context) error {
			_, err := l.Accept()
			return err
		})
		client.Time.Sleep(ctx, time.Millisecond)
		require.NoError(t, c.Close())
		require.NoError(t, l.Close())
		assert.ErrorIs(t, rd.Join(ctx), net.ErrClosed)
		assert.ErrorIs(t, ac.Join(ctx), net.ErrClosed)
		return nil
	})
}

func TestBytesArriveInOrderAfterTheirLatency(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	simulate(t, 9, cfg, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		for i := range 100 {
			sent := client.Time.Now()
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(i))
			_, err := c.Write(b[:])
			require.NoError(t, err)
			_, err = io.ReadFull(s, b[:])
			require.NoError(t, err)
			assert.Equal(t, uint32(i), binary.BigEndian.Uint32(b[:]))
			took := server.Time.Now().Sub(sent)
			assert.GreaterOrEqual(t, took, cfg.Latency.Fast.Min)
			assert.LessOrEqual(t, took, cfg.Latency.Fast.Max)
		}
		return nil
	})
}

// TestHTTPOverASimulatedConn runs net/http's request and response code,
// unchanged, over a simulated connection.
func TestHTTPOverASimulatedConn(t *testing.T) {
	simulate(t, 10, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		server.Task.Go(ctx, "http server", func(ctx context.Context) error {
			c, err := l.Accept()
			require.NoError(t, err)
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return nil
				}
				body, _ := io.ReadAll(req.Body)
				resp := &http.Response{
					StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1,
					Header: http.Header{"Content-Type": {"text/plain"}},
					Body:   io.NopCloser(strings.NewReader("you said " + string(body) + " to " + req.URL.Path)),
				}
				resp.ContentLength = int64(len("you said  to ") + len(body) + len(req.URL.Path))
				if err := resp.Write(c); err != nil {
					return err
				}
			}
		})
		c, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		defer c.Close()
		br := bufio.NewReader(c)
		for _, word := range []string{"hello", "again"} {
			req, err := http.NewRequest("POST", "http://10.0.0.2/echo", strings.NewReader(word))
			require.NoError(t, err)
			require.NoError(t, req.Write(c))
			resp, err := http.ReadResponse(br, req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "you said "+word+" to /echo", string(body))
		}
		return nil
	})
}

func TestBinaryFraming(t *testing.T) {
	type msg struct {
		ID    uint64
		Value int32
		Flags [3]byte
	}
	simulate(t, 11, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		client.Task.Go(ctx, "encoder", func(context.Context) error {
			bw := bufio.NewWriter(c)
			for i := range 1000 {
				if err := binary.Write(bw, binary.LittleEndian, msg{ID: uint64(i), Value: int32(-i), Flags: [3]byte{1, 2, byte(i)}}); err != nil {
					return err
				}
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			return c.Close()
		})
		br := bufio.NewReader(s)
		for i := range 1000 {
			var m msg
			require.NoError(t, binary.Read(br, binary.LittleEndian, &m))
			require.Equal(t, msg{ID: uint64(i), Value: int32(-i), Flags: [3]byte{1, 2, byte(i)}}, m)
		}
		var m msg
		assert.Same(t, io.EOF, binary.Read(br, binary.LittleEndian, &m))
		return nil
	})
}

func TestDialLocalhostReachesTheSameHost(t *testing.T) {
	simulate(t, 12, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":90")
		require.NoError(t, err)
		assert.Equal(t, "10.0.0.2:90", l.Addr().String(), "a listener on every address names its host")
		// Every loopback address is this host, as 127.0.0.0/8 is on
		// Linux, and so is the wildcard address; the connection is on
		// the loopback interface, and both its ends say so.
		for _, tc := range []struct{ addr, client, server string }{
			{"localhost:90", "127.0.0.1", "127.0.0.1"},
			{"127.0.0.1:90", "127.0.0.1", "127.0.0.1"},
			{"127.1.2.3:90", "127.0.0.1", "127.1.2.3"},
			{"[::ffff:127.0.0.1]:90", "127.0.0.1", "127.0.0.1"},
			{":90", "127.0.0.1", "127.0.0.1"},
			{"0.0.0.0:90", "127.0.0.1", "127.0.0.1"},
			{"[::1]:90", "::1", "::1"},
			{"10.0.0.2:90", "10.0.0.2", "10.0.0.2"},
		} {
			addr, ends := tc.addr, [2]string{tc.client, tc.server}
			c, err := server.Network.Dial(ctx, addr)
			require.NoError(t, err, addr)
			s, err := l.Accept()
			require.NoError(t, err)
			assert.Equal(t, c.LocalAddr(), s.RemoteAddr(), addr)
			assert.Equal(t, c.RemoteAddr(), s.LocalAddr(), addr)
			assert.Equal(t, ends[0], c.LocalAddr().(*net.TCPAddr).IP.String(), addr)
			assert.Equal(t, ends[1], s.LocalAddr().(*net.TCPAddr).IP.String(), addr)
			assert.Equal(t, 90, s.LocalAddr().(*net.TCPAddr).Port, addr)
		}
		assert.Equal(t, "10.0.0.2", server.Network.Host())
		return nil
	})
}

// A listener on a loopback address is on the loopback interface alone,
// as on Linux: a service that binds its public port to localhost by
// mistake is unreachable from its peers, in the simulation as in
// production.
func TestALoopbackListenerTakesItsOwnHostOnly(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, "127.0.0.1:90")
		require.NoError(t, err)
		assert.Equal(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 90}, l.Addr())

		_, err = client.Network.Dial(ctx, "10.0.0.2:90")
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "another host's connect")
		// Its own host reaches it over loopback only: its own name is
		// another address, and so is another loopback address.
		for _, addr := range []string{"10.0.0.2:90", "127.0.0.2:90", "[::1]:90"} {
			_, err = server.Network.Dial(ctx, addr)
			require.ErrorIs(t, err, syscall.ECONNREFUSED, addr)
		}
		for _, addr := range []string{"127.0.0.1:90", "localhost:90", ":90"} {
			c, err := server.Network.Dial(ctx, addr)
			require.NoError(t, err, addr)
			s, err := l.Accept()
			require.NoError(t, err)
			assert.Equal(t, "127.0.0.1:90", s.LocalAddr().String(), addr)
			assert.Equal(t, "127.0.0.1:90", c.RemoteAddr().String(), addr)
			assert.Equal(t, c.LocalAddr(), s.RemoteAddr(), addr)
			assert.Equal(t, "127.0.0.1", c.LocalAddr().(*net.TCPAddr).IP.String(), addr)
			_, err = c.Write([]byte("hi"))
			require.NoError(t, err)
			buf := make([]byte, 2)
			_, err = io.ReadFull(s, buf)
			require.NoError(t, err)
			assert.Equal(t, "hi", string(buf))
		}

		// A listener on every address does not share the port.
		_, err = server.Network.Listen(ctx, ":90")
		require.ErrorIs(t, err, syscall.EADDRINUSE)
		l6, err := server.Network.Listen(ctx, "[::1]:91")
		require.NoError(t, err)
		assert.Equal(t, "[::1]:91", l6.Addr().String())
		l5, err := server.Network.Listen(ctx, "localhost:92")
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1:92", l5.Addr().String())
		_, err = client.Network.Dial(ctx, "10.0.0.2:92")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		return nil
	})
}

// ReadContext returns when its context ends while it waits, with the
// context's error and nothing read; the connection reads on as before.
func TestReadContextEndsWithItsContext(t *testing.T) {
	simulate(t, 7, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		rc := c.(interface {
			ReadContext(context.Context, []byte) (int, error)
		})
		start := client.Time.Now()
		short, cancel := client.Time.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		buf := make([]byte, 4)
		n, err := rc.ReadContext(short, buf)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, n)
		assert.Equal(t, 30*time.Millisecond, client.Time.Now().Sub(start))

		_, err = s.Write([]byte("ping"))
		require.NoError(t, err)
		n, err = rc.ReadContext(ctx, buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf[:n]))
		return nil
	})
}

// Each end of a connection names itself from its own side, whichever end
// is named first (both names are made at once).
func TestConnectionEndsNameThemselves(t *testing.T) {
	for _, serverFirst := range []bool{false, true} {
		simulate(t, 1, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
			c, s := pair(t, ctx, client, server)
			want := func(x net.Conn) string { return x.LocalAddr().String() + "->" + x.RemoteAddr().String() }
			var cs, ss string
			if serverFirst {
				ss, cs = fmt.Sprint(s), fmt.Sprint(c)
			} else {
				cs, ss = fmt.Sprint(c), fmt.Sprint(s)
			}
			assert.Equal(t, want(c), cs)
			assert.Equal(t, want(s), ss)
			assert.Equal(t, cs, fmt.Sprint(c), "named once")
			require.NoError(t, c.Close())
			return s.Close()
		})
	}
}

// A deadline made from time.Now, given to a connection, a listener or a
// packet connection, is refused with the fix: it lies years past
// simulated time, so the read it bounds would wait until the run's time
// budget, where production times out.
func TestAWallClockDeadlineIsRefused(t *testing.T) {
	for name, set := range map[string]func(ctx context.Context, t *testing.T, client, server providers.Providers) error{
		"read": func(ctx context.Context, t *testing.T, client, server providers.Providers) error {
			c, _ := pair(t, ctx, client, server)
			return c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		},
		"write": func(ctx context.Context, t *testing.T, client, server providers.Providers) error {
			c, _ := pair(t, ctx, client, server)
			return c.SetDeadline(time.Now().Add(100 * time.Millisecond))
		},
		"accept": func(ctx context.Context, t *testing.T, client, server providers.Providers) error {
			l, err := server.Network.Listen(ctx, ":81")
			require.NoError(t, err)
			return l.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(time.Second))
		},
		"datagram": func(ctx context.Context, t *testing.T, client, server providers.Providers) error {
			pc, err := client.Network.ListenPacket(ctx, ":53")
			require.NoError(t, err)
			return pc.SetReadDeadline(time.Now().Add(time.Second))
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, 1, chaos.NoNetworkFaults())
			res := w.run(func(ctx context.Context, p providers.Providers) error {
				client, server := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.Host("10.0.0.2"))
				c, _ := pair(t, ctx, client, server)
				require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(time.Second)), "the simulation's time is a deadline")
				return set(ctx, t, client, server)
			})
			var f *sim.Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, sim.WallDeadline, f.Kind, f.Msg)
			assert.Contains(t, f.Msg, "given a time read from the wall clock (")
			assert.Contains(t, f.Msg, "take the time from p.Time.Now()")
			assert.Less(t, res.SimTime, time.Second, "refused where it is set")
		})
	}
}

// A read deadline read from the wall clock and stripped of its monotonic
// reading is not refused, being a time the simulation could have made;
// the read waits to the run's time budget, whose failure names it.
func TestAWallClockDeadlineInUTCIsNamedWhenTheBudgetRunsOut(t *testing.T) {
	w := newWorld(t, 1, chaos.NoNetworkFaults(), func(c *sim.Config) { c.TimeBudget = time.Minute })
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		client, server := on(p, w.net.SteadyHost("10.0.0.1")), on(p, w.net.Host("10.0.0.2"))
		c, _ := pair(t, ctx, client, server)
		require.NoError(t, c.SetReadDeadline(time.Now().UTC().Add(100*time.Millisecond)))
		_, err := c.Read(make([]byte, 1))
		return err
	})
	var f *sim.Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, sim.TimeBudget, f.Kind, f.Msg)
	assert.Contains(t, f.Msg, "SetReadDeadline was given ")
	assert.Contains(t, f.Msg, "take the time from p.Time.Now()")
}

// A connection is no *net.TCPConn, but has the methods of one that
// programs call through an interface: those the network models, and the
// setters it does not (SetNoDelay, SetReadBuffer, SetWriteBuffer), which
// change nothing. Hosts named like IP addresses give *net.TCPAddr
// addresses at both ends.
func TestAConnHasTCPConnsMethods(t *testing.T) {
	simulate(t, 1, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		_, isTCP := c.(*net.TCPConn)
		assert.False(t, isTCP)
		type tcpConn interface {
			SetNoDelay(bool) error
			SetReadBuffer(int) error
			SetWriteBuffer(int) error
			SetLinger(int) error
			SetKeepAlive(bool) error
			SetKeepAlivePeriod(time.Duration) error
			SetKeepAliveConfig(net.KeepAliveConfig) error
			CloseRead() error
			CloseWrite() error
		}
		tc, ok := c.(tcpConn)
		require.True(t, ok, "%T has *net.TCPConn's methods", c)
		require.NoError(t, tc.SetNoDelay(false))
		require.NoError(t, tc.SetReadBuffer(1<<20))
		require.NoError(t, tc.SetWriteBuffer(1<<20))
		_, err := c.Write([]byte("ping"))
		require.NoError(t, err)
		buf := make([]byte, 4)
		_, err = io.ReadFull(s, buf)
		require.NoError(t, err)
		assert.Equal(t, "ping", string(buf), "the setters change nothing")

		for _, a := range []net.Addr{c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr()} {
			assert.IsType(t, &net.TCPAddr{}, a)
		}
		assert.Equal(t, net.IPv4(10, 0, 0, 2).To4(), c.RemoteAddr().(*net.TCPAddr).IP)

		require.NoError(t, c.Close())
		assert.ErrorIs(t, tc.SetNoDelay(true), net.ErrClosed)
		assert.ErrorIs(t, tc.SetReadBuffer(1), net.ErrClosed)
		assert.ErrorIs(t, tc.SetWriteBuffer(1), net.ErrClosed)
		return nil
	})
}
