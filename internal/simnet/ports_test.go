package simnet_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// ephemeralPorts is how many ports a host dials from.
const ephemeralPorts = 65535 - 49152 + 1

// serveAndKeep accepts connections on a new listener on server, keeping
// every one open, and returns the listener's address.
func serveAndKeep(t *testing.T, ctx context.Context, server providers.Providers) string {
	t.Helper()
	l, err := server.Network.Listen(ctx, ":80")
	require.NoError(t, err)
	server.Task.Go(ctx, "accept", func(context.Context) error {
		for {
			if _, err := l.Accept(); err != nil {
				return nil
			}
		}
	})
	return l.Addr().String()
}

// A dial never takes the local port of a connection of its host that is
// still open, even once the host has dialled from every port: two open
// connections from one port to one address would be one connection to
// TCP, and a server that keys its clients by RemoteAddr would mix them up.
func TestDialSkipsPortsOfOpenConnections(t *testing.T) {
	simulate(t, 1, chaos.Network{}, func(ctx context.Context, client, server providers.Providers) error {
		addr := serveAndKeep(t, ctx, server)
		kept, err := client.Network.Dial(ctx, addr)
		require.NoError(t, err)
		for range ephemeralPorts - 1 {
			c, err := client.Network.Dial(ctx, addr)
			require.NoError(t, err)
			require.NoError(t, c.Close())
		}
		c, err := client.Network.Dial(ctx, addr)
		require.NoError(t, err)
		assert.NotEqual(t, kept.LocalAddr().String(), c.LocalAddr().String(), "a port of an open connection was dialled from again")
		return nil
	})
}

// A host whose every ephemeral port holds an open connection cannot dial,
// as an operating system's connect fails with EADDRNOTAVAIL: a client
// that leaks connections runs out of ports in a simulation too.
func TestDialFromEveryPortInUseFails(t *testing.T) {
	simulate(t, 2, chaos.Network{}, func(ctx context.Context, client, server providers.Providers) error {
		addr := serveAndKeep(t, ctx, server)
		var open []net.Conn
		for range ephemeralPorts {
			c, err := client.Network.Dial(ctx, addr)
			require.NoError(t, err)
			open = append(open, c)
		}
		_, err := client.Network.Dial(ctx, addr)
		require.ErrorIs(t, err, syscall.EADDRNOTAVAIL, "a dial with every port in use")
		var oe *net.OpError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "dial", oe.Op)
		require.NoError(t, open[7].Close())
		c, err := client.Network.Dial(ctx, addr)
		require.NoError(t, err, "a closed connection frees its port")
		assert.Equal(t, open[7].LocalAddr().String(), c.LocalAddr().String())

		// Two dials for the last free port: the connect that arrives
		// second finds none left.
		require.NoError(t, c.Close())
		errs := make([]error, 2)
		var hs []providers.Handle
		for i := range errs {
			hs = append(hs, client.Task.Go(ctx, "dial", func(ctx context.Context) error {
				_, errs[i] = client.Network.Dial(ctx, addr)
				return nil
			}))
		}
		for _, h := range hs {
			require.NoError(t, h.Join(ctx))
		}
		assert.ElementsMatch(t, []bool{true, false}, []bool{errs[0] == nil, errs[1] == nil}, "one of two dials for one port succeeds: %v", errs)
		for _, err := range errs {
			if err != nil {
				assert.ErrorIs(t, err, syscall.EADDRNOTAVAIL)
			}
		}
		return nil
	})
}

// A host that runs out of ephemeral ports says so on the timeline once,
// with the count its open connections hold, when it first happens: a
// client that retries its dials leaves no other mark of it. Conns tells
// when, and the most connections the host held open at once.
func TestRunningOutOfPortsIsToldOnce(t *testing.T) {
	w := newWorld(t, 3, chaos.Network{})
	var outAt time.Duration
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		addr := serveAndKeep(t, ctx, server)
		for range ephemeralPorts {
			_, err := client.Network.Dial(ctx, addr)
			require.NoError(t, err)
		}
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		outAt = time.Duration(w.w.Now())
		for range 3 {
			_, err := client.Network.Dial(ctx, addr)
			require.ErrorIs(t, err, syscall.EADDRNOTAVAIL)
		}
		return nil
	})
	told := events(res, "no free ephemeral port")
	require.Len(t, told, 1, "the timeline tells it once")
	assert.Contains(t, told[0], "net: host 10.0.0.1 has no free ephemeral port: 16384 of them held by connections it dialled that are still open")
	assert.Contains(t, told[0], "connections never closed (dropped without Close) are the usual cause")
	want := []simnet.HostConns{
		{Host: "10.0.0.1", Open: ephemeralPorts, Peak: ephemeralPorts, OutOfPorts: outAt, PortsHeld: ephemeralPorts},
		{Host: "10.0.0.2", OutOfPorts: -1}, // accepted ends hold no port
	}
	assert.Equal(t, want, w.net.Conns())
}

// A host that closes its connections holds few at once, and never runs
// out of ports. Conns counts the connections a host dialled, once each,
// and not those whose peer has closed.
func TestConnsCountsOpenAndPeak(t *testing.T) {
	w := newWorld(t, 4, chaos.Network{})
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		addr := serveAndKeep(t, ctx, server)
		var open []net.Conn
		for range 5 {
			c, err := client.Network.Dial(ctx, addr)
			require.NoError(t, err)
			open = append(open, c)
		}
		for _, c := range open[:3] {
			require.NoError(t, c.Close())
		}
		// Over loopback, both ends are the client's: the connection
		// counts once.
		l, err := client.Network.Listen(ctx, ":90")
		require.NoError(t, err)
		_, err = client.Network.Dial(ctx, "10.0.0.1:90")
		require.NoError(t, err)
		_, err = l.Accept()
		require.NoError(t, err)
		return nil
	})
	assert.Empty(t, events(res, "ephemeral port"))
	assert.Equal(t, []simnet.HostConns{
		{Host: "10.0.0.1", Open: 3, Peak: 5, OutOfPorts: -1},
		{Host: "10.0.0.2", OutOfPorts: -1},
	}, w.net.Conns())
}

// A connection whose peer has closed, its close still on its way, is not
// counted as open.
func TestConnsLeavesOutClosesInFlight(t *testing.T) {
	w := newWorld(t, 5, chaos.NoNetworkFaults())
	var during []simnet.HostConns
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		c, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		s, err := l.Accept()
		require.NoError(t, err)
		require.NoError(t, s.Close())
		during = w.net.Conns() // the FIN has a latency to cross
		return c.Close()
	})
	assert.Equal(t, []simnet.HostConns{{Host: "10.0.0.1", Peak: 1, OutOfPorts: -1}, {Host: "10.0.0.2", OutOfPorts: -1}}, during)
}
