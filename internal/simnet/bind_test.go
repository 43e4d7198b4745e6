package simnet_test

import (
	"context"
	"io"
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

// A listener on its host's own address takes connects to that address,
// from any host, and refuses its own host's to the loopback, as on Linux:
// a service that dials itself on localhost while it listens on its public
// address fails in the simulation as in production.
func TestAListenerOnTheHostsAddressRefusesLoopback(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, "10.0.0.2:90")
		require.NoError(t, err)
		assert.Equal(t, "10.0.0.2:90", l.Addr().String())

		for _, addr := range []string{"127.0.0.1:90", "localhost:90", ":90", "0.0.0.0:90", "[::1]:90"} {
			_, err := server.Network.Dial(ctx, addr)
			require.ErrorIs(t, err, syscall.ECONNREFUSED, addr)
			var op *net.OpError
			require.ErrorAs(t, err, &op)
			assert.Equal(t, "dial", op.Op)
			assert.Equal(t, "dial tcp "+op.Addr.String()+": connect: connection refused", err.Error())
		}
		for _, p := range []providers.Providers{server, client} {
			c, err := p.Network.Dial(ctx, "10.0.0.2:90")
			require.NoError(t, err, "a dial from %s to the address", p.Network.Host())
			s, err := l.Accept()
			require.NoError(t, err)
			assert.Equal(t, "10.0.0.2:90", s.LocalAddr().String())
			assert.Equal(t, c.LocalAddr(), s.RemoteAddr())
			require.NoError(t, c.Close())
			require.NoError(t, s.Close())
		}
		return nil
	})
}

// A connect from another host that a listener on the loopback alone
// would have taken is refused as on Linux, and its log line names that
// listener, the usual cause: a service started with -listen 127.0.0.1.
func TestARefusalByALoopbackListenerSaysSo(t *testing.T) {
	res := simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		_, err := server.Network.Listen(ctx, "127.0.0.1:90")
		require.NoError(t, err)
		_, err = client.Network.Dial(ctx, "10.0.0.2:90")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Equal(t, "dial tcp 10.0.0.2:90: connect: connection refused", err.Error(), "package net's error, unchanged")
		_, err = client.Network.Dial(ctx, "10.0.0.2:91")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		return nil
	})
	assert.Equal(t, []string{
		`connect 10.0.0.1 -> 10.0.0.2:90 refused: 10.0.0.2 listens on 127.0.0.1:90 alone, which only its own host reaches; listen on ":90" or the host's address to take connects from others`,
		"connect 10.0.0.1 -> 10.0.0.2:91 refused",
	}, msgs(events(res, "refused")))
}

// Listeners on different addresses of a host share a port, as on Linux,
// and a connect goes to the one on the address it was sent to; a listener
// on every address shares its port with none.
func TestListenersOnDifferentAddressesShareAPort(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		own, err := server.Network.Listen(ctx, "10.0.0.2:90")
		require.NoError(t, err)
		lo, err := server.Network.Listen(ctx, "127.0.0.1:90")
		require.NoError(t, err)
		lo2, err := server.Network.Listen(ctx, "127.0.0.2:90")
		require.NoError(t, err)
		lo6, err := server.Network.Listen(ctx, "[::1]:90")
		require.NoError(t, err)
		for _, addr := range []string{":90", "0.0.0.0:90", "[::]:90", "10.0.0.2:90", "127.0.0.1:90", "localhost:90", "[::ffff:127.0.0.1]:90", "[::1]:90"} {
			_, err := server.Network.Listen(ctx, addr)
			require.ErrorIs(t, err, syscall.EADDRINUSE, addr)
		}

		// accepted dials addr from p and returns the address the
		// listener that took it says it took it on.
		accepted := func(p providers.Providers, addr string, l net.Listener) string {
			c, err := p.Network.Dial(ctx, addr)
			require.NoError(t, err, addr)
			defer c.Close()
			s, err := l.Accept()
			require.NoError(t, err, addr)
			defer s.Close()
			return s.LocalAddr().String()
		}
		assert.Equal(t, "10.0.0.2:90", accepted(client, "10.0.0.2:90", own))
		assert.Equal(t, "10.0.0.2:90", accepted(server, "10.0.0.2:90", own))
		assert.Equal(t, "127.0.0.1:90", accepted(server, "localhost:90", lo))
		assert.Equal(t, "127.0.0.1:90", accepted(server, ":90", lo))
		assert.Equal(t, "127.0.0.2:90", accepted(server, "127.0.0.2:90", lo2))
		assert.Equal(t, "[::1]:90", accepted(server, "[::1]:90", lo6))

		// Each closes alone: the others take their own connects still.
		require.NoError(t, own.Close())
		_, err = client.Network.Dial(ctx, "10.0.0.2:90")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Equal(t, "127.0.0.1:90", accepted(server, "127.0.0.1:90", lo))
		require.NoError(t, lo.Close())
		_, err = server.Network.Dial(ctx, "127.0.0.1:90")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Equal(t, "[::1]:90", accepted(server, "[::1]:90", lo6))
		_, err = server.Network.Listen(ctx, ":90")
		require.ErrorIs(t, err, syscall.EADDRINUSE, "while any address holds the port")
		require.NoError(t, lo2.Close())
		require.NoError(t, lo6.Close())

		all, err := server.Network.Listen(ctx, ":90")
		require.NoError(t, err, "once none does")
		for _, addr := range []string{"10.0.0.2:90", "127.0.0.1:90", "[::1]:90"} {
			_, err := server.Network.Listen(ctx, addr)
			require.ErrorIs(t, err, syscall.EADDRINUSE, addr)
		}
		assert.Equal(t, "127.0.0.1:90", accepted(server, "127.0.0.1:90", all))
		assert.Equal(t, "10.0.0.2:90", accepted(client, "10.0.0.2:90", all))
		return nil
	})
}

// A datagram socket on its host's own address hears datagrams to that
// address and not those its host sends to the loopback, which are dropped
// as on Linux (a connected sender hears ECONNREFUSED); sockets on
// different addresses share a port, each hearing its own.
func TestADatagramSocketOnTheHostsAddressHearsItOnly(t *testing.T) {
	simulate(t, 3, perfect(), func(ctx context.Context, client, server providers.Providers) error {
		own, err := server.Network.ListenPacket(ctx, "10.0.0.2:9")
		require.NoError(t, err)
		assert.Equal(t, "10.0.0.2:9", own.LocalAddr().String())
		loAddr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
		ownAddr := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9}
		buf := make([]byte, 16)

		near, err := server.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		near.(interface{ Connect() }).Connect()
		_, err = near.WriteTo([]byte("loopback"), loAddr)
		require.NoError(t, err)
		require.NoError(t, near.SetReadDeadline(server.Time.Now().Add(time.Second)))
		_, _, err = near.ReadFrom(buf)
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "nobody holds the port on the loopback")

		far, err := client.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		_, err = far.WriteTo([]byte("far"), ownAddr)
		require.NoError(t, err)
		require.NoError(t, own.SetReadDeadline(server.Time.Now().Add(time.Second)))
		k, from, err := own.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "far", string(buf[:k]), "only the datagram to the host's address")
		assert.Equal(t, far.LocalAddr(), from)
		_, _, err = own.ReadFrom(buf)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing else arrived")

		// A socket on 127.0.0.1 shares the port, and hears the loopback.
		lo, err := server.Network.ListenPacket(ctx, "127.0.0.1:9")
		require.NoError(t, err)
		for _, addr := range []string{":9", "0.0.0.0:9", "10.0.0.2:9", "localhost:9"} {
			_, err := server.Network.ListenPacket(ctx, addr)
			require.ErrorIs(t, err, syscall.EADDRINUSE, addr)
		}
		_, err = near.WriteTo([]byte("to lo"), loAddr)
		require.NoError(t, err)
		_, err = near.WriteTo([]byte("to own"), ownAddr)
		require.NoError(t, err)
		require.NoError(t, lo.SetReadDeadline(server.Time.Now().Add(time.Second)))
		k, _, err = lo.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "to lo", string(buf[:k]))
		require.NoError(t, own.SetReadDeadline(server.Time.Now().Add(time.Second)))
		k, _, err = own.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "to own", string(buf[:k]))

		// A socket on the host's address sends over loopback from that
		// address, as Linux lets it.
		_, err = own.WriteTo([]byte("hi lo"), loAddr)
		require.NoError(t, err)
		k, from, err = lo.ReadFrom(buf)
		require.NoError(t, err)
		assert.Equal(t, "hi lo", string(buf[:k]))
		assert.Equal(t, "10.0.0.2:9", from.String())

		require.NoError(t, own.Close())
		require.NoError(t, lo.Close())
		all, err := server.Network.ListenPacket(ctx, ":9")
		require.NoError(t, err, "once no socket holds the port")
		require.NoError(t, all.Close())
		return nil
	})
}

// A host named by a name, not an IP, binds its name as its own address.
func TestAListenerOnTheHostsNameRefusesLoopback(t *testing.T) {
	w := newWorld(t, 1, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		db := on(p, w.net.Host("db"))
		l, err := db.Network.Listen(ctx, "db:90")
		require.NoError(t, err)
		assert.Equal(t, "db:90", l.Addr().String())
		_, err = db.Network.Dial(ctx, "localhost:90")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		lo, err := db.Network.Listen(ctx, "localhost:90")
		require.NoError(t, err, "the loopback beside the name")
		for _, x := range []struct {
			addr string
			l    net.Listener
		}{{"db:90", l}, {"localhost:90", lo}} {
			c, err := db.Network.Dial(ctx, x.addr)
			require.NoError(t, err, x.addr)
			s, err := x.l.Accept()
			require.NoError(t, err, x.addr)
			assert.Equal(t, c.RemoteAddr(), s.LocalAddr(), x.addr)
		}
		return nil
	})
	require.NoError(t, res.Err)
}

// A dialled connection holds its port on the address it was dialled from
// alone, as on Linux: a listener on another address of the host may bind
// the port, and one on that address, or on every address, fails with
// EADDRINUSE.
func TestADialledPortIsHeldOnItsOwnAddressAlone(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":90")
		require.NoError(t, err)
		for _, x := range []struct {
			p              providers.Providers
			dial           string
			taken, granted []string
		}{
			// Over loopback: the connection holds 127.0.0.1's port.
			{server, "127.0.0.1:90",
				[]string{"127.0.0.1", "[::ffff:127.0.0.1]", "localhost", "", "0.0.0.0", "[::]"},
				[]string{"10.0.0.2", "127.0.0.2", "[::1]"}},
			// To another host: the connection holds the host's own
			// address's port.
			{client, "10.0.0.2:90",
				[]string{"10.0.0.1", "", "0.0.0.0"},
				[]string{"127.0.0.1", "[::1]"}},
		} {
			c, err := x.p.Network.Dial(ctx, x.dial)
			require.NoError(t, err)
			s, err := l.Accept()
			require.NoError(t, err)
			_, port, err := net.SplitHostPort(c.LocalAddr().String())
			require.NoError(t, err)
			for _, host := range x.taken {
				_, err := x.p.Network.Listen(ctx, host+":"+port)
				require.ErrorIs(t, err, syscall.EADDRINUSE, "a listen on %s:%s beside a connection from %s", host, port, c.LocalAddr())
			}
			for _, host := range x.granted {
				other, err := x.p.Network.Listen(ctx, host+":"+port)
				require.NoError(t, err, "a listen on %s:%s beside a connection from %s", host, port, c.LocalAddr())
				require.NoError(t, other.Close())
			}
			// A listener on another address takes the connects to it,
			// and the connection goes on beside it.
			other, err := x.p.Network.Listen(ctx, x.granted[0]+":"+port)
			require.NoError(t, err)
			d, err := x.p.Network.Dial(ctx, x.granted[0]+":"+port)
			require.NoError(t, err)
			t2, err := other.Accept()
			require.NoError(t, err)
			assert.Equal(t, d.RemoteAddr(), t2.LocalAddr())
			_, err = c.Write([]byte("hi"))
			require.NoError(t, err)
			buf := make([]byte, 2)
			_, err = io.ReadFull(s, buf)
			require.NoError(t, err)
			assert.Equal(t, "hi", string(buf))
			for _, cl := range []io.Closer{c, s, d, t2, other} {
				require.NoError(t, cl.Close())
			}
		}
		return nil
	})
}

// A host named by an IPv4 address binds that address mapped into IPv6
// too, as the IPv4 address: Linux's dual-stack sockets take it so, and
// package net binds it on an IPv4 socket.
func TestAHostBindsItsAddressMappedIntoIPv6(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, "[::ffff:10.0.0.2]:90")
		require.NoError(t, err)
		assert.Equal(t, "10.0.0.2:90", l.Addr().String())
		for _, addr := range []string{"10.0.0.2:90", "[::ffff:10.0.0.2]:90", ":90"} {
			_, err := server.Network.Listen(ctx, addr)
			require.ErrorIs(t, err, syscall.EADDRINUSE, addr)
		}
		c, err := client.Network.Dial(ctx, "10.0.0.2:90")
		require.NoError(t, err)
		s, err := l.Accept()
		require.NoError(t, err)
		assert.Equal(t, c.RemoteAddr(), s.LocalAddr())
		_, err = server.Network.Dial(ctx, "127.0.0.1:90")
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "a socket on the host's own address")

		pc, err := server.Network.ListenPacket(ctx, "[::ffff:10.0.0.2]:9")
		require.NoError(t, err)
		assert.Equal(t, "10.0.0.2:9", pc.LocalAddr().String())
		_, err = server.Network.ListenPacket(ctx, "10.0.0.2:9")
		require.ErrorIs(t, err, syscall.EADDRINUSE)

		// Another host's address is not this host's, mapped or not.
		_, err = server.Network.Listen(ctx, "[::ffff:10.0.0.1]:90")
		require.ErrorIs(t, err, syscall.EADDRNOTAVAIL)
		assert.Equal(t, "listen tcp 10.0.0.1:90: bind: cannot assign requested address", err.Error())
		_, err = server.Network.ListenPacket(ctx, "[::ffff:10.0.0.1]:9")
		require.ErrorIs(t, err, syscall.EADDRNOTAVAIL)
		for _, cl := range []io.Closer{c, s, l, pc} {
			require.NoError(t, cl.Close())
		}
		return nil
	})
}

// A dial to a host's IPv4 address mapped into IPv6 reaches the host, as
// package net connects it on an IPv4 socket: both ends report the IPv4
// address.
func TestADialToAMappedAddressReachesItsHost(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":90")
		require.NoError(t, err)
		assert.True(t, client.Network.(interface{ Resolves(string) bool }).Resolves("::ffff:10.0.0.2"))
		for _, p := range []providers.Providers{client, server} {
			c, err := p.Network.Dial(ctx, "[::ffff:10.0.0.2]:90")
			require.NoError(t, err, "a dial from %s", p.Network.Host())
			s, err := l.Accept()
			require.NoError(t, err)
			assert.Equal(t, "10.0.0.2:90", c.RemoteAddr().String())
			assert.Equal(t, c.RemoteAddr(), s.LocalAddr())
			assert.Equal(t, c.LocalAddr(), s.RemoteAddr())
			require.NoError(t, c.Close())
			require.NoError(t, s.Close())
		}
		dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		_, err = client.Network.Dial(dctx, "[::ffff:10.9.9.9]:90")
		cancel()
		var ne net.Error
		require.ErrorAs(t, err, &ne, "an address no host has goes unanswered")
		assert.True(t, ne.Timeout())
		return nil
	})
}
