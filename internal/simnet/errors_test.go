package simnet_test

import (
	"context"
	"errors"
	"fmt"
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

func TestMalformedAddresses(t *testing.T) {
	cases := []struct {
		addr string
		msg  string // package net's wording
	}{
		{"nocolon", "address nocolon: missing port in address"},
		{"a:b:c", "address a:b:c: too many colons in address"},
		{"10.0.0.2:abc", "lookup tcp/abc: unknown port"},
		{"10.0.0.2:70000", "address 70000: invalid port"},
		{"10.0.0.2:-1", "address -1: invalid port"},
		{"10.0.0.2:99999999999999999999", "address 99999999999999999999: invalid port"},
	}
	simulate(t, 1, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		for _, c := range cases {
			_, err := client.Network.Dial(ctx, c.addr)
			require.Error(t, err, c.addr)
			var oe *net.OpError
			require.ErrorAs(t, err, &oe, c.addr)
			assert.Equal(t, "dial", oe.Op)
			assert.Contains(t, err.Error(), "dial tcp: "+c.msg, c.addr)

			_, err = server.Network.Listen(ctx, c.addr)
			require.ErrorAs(t, err, &oe, c.addr)
			assert.Equal(t, "listen", oe.Op)
			assert.Contains(t, err.Error(), c.msg, c.addr)
		}
		var ae *net.AddrError
		_, err := client.Network.Dial(ctx, "nocolon")
		assert.ErrorAs(t, err, &ae, "a malformed address is a *net.AddrError inside the *net.OpError")
		return nil
	})
}

func TestDialNobody(t *testing.T) {
	simulate(t, 2, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		start := client.Time.Now()
		_, err := client.Network.Dial(ctx, "10.0.0.2:1")
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)
		assert.Equal(t, "dial tcp 10.0.0.2:1: connect: connection refused", err.Error())
		assert.Positive(t, client.Time.Now().Sub(start), "the refusal takes a round trip")

		_, err = client.Network.Dial(ctx, "nosuch:80")
		var de *net.DNSError
		require.ErrorAs(t, err, &de, "a name the network does not have")
		assert.True(t, de.IsNotFound)
		assert.Equal(t, "dial tcp: lookup nosuch: no such host", err.Error())
		return nil
	})
}

// An IP address no host holds is not looked up, as package net looks no
// address up: its connect goes unanswered, until the dial's context ends
// or the connect times out, as Linux's does.
func TestDialAnAddressNoHostHolds(t *testing.T) {
	res := simulate(t, 2, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		start := client.Time.Now()
		dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		_, err := client.Network.Dial(dctx, "10.9.9.9:80")
		cancel()
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout(), "got %v", err)
		var de *net.DNSError
		assert.False(t, errors.As(err, &de), "an IP address is not looked up: got %v", err)
		assert.Equal(t, "dial tcp 10.9.9.9:80: i/o timeout", err.Error())
		assert.Equal(t, time.Second, client.Time.Now().Sub(start), "it waits for the context")

		start = client.Time.Now()
		_, err = client.Network.Dial(ctx, "[::ffff:10.9.9.9]:80")
		assert.ErrorIs(t, err, syscall.ETIMEDOUT)
		assert.Equal(t, "dial tcp 10.9.9.9:80: connect: connection timed out", err.Error())
		assert.Equal(t, simnet.ConnectTimeout, client.Time.Now().Sub(start), "it waits as a connect that hangs does")

		done, cancel := context.WithCancel(ctx)
		cancel()
		_, err = client.Network.Dial(done, "[2001:db8::1]:80")
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "dial tcp [2001:db8::1]:80: operation was canceled", err.Error())
		return nil
	})
	assert.Len(t, events(res, "connect 10.0.0.1 -> 10.9.9.9:80 timed out"), 1, "the timeline tells of the connect that timed out")
	assert.Len(t, events(res, "goes unanswered: no host has that address"), 2, "and of each connect that went out")
}

func TestListenErrors(t *testing.T) {
	simulate(t, 3, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":8080")
		require.NoError(t, err)
		_, err = server.Network.Listen(ctx, "10.0.0.2:8080")
		assert.True(t, errors.Is(err, syscall.EADDRINUSE), "got %v", err)
		assert.Equal(t, "listen tcp 10.0.0.2:8080: bind: address already in use", err.Error())

		_, err = server.Network.Listen(ctx, "10.0.0.1:8080")
		assert.True(t, errors.Is(err, syscall.EADDRNOTAVAIL), "another host's address: got %v", err)
		assert.Equal(t, "listen tcp 10.0.0.1:8080: bind: cannot assign requested address", err.Error())

		require.NoError(t, l.Close())
		_, err = server.Network.Listen(ctx, ":8080")
		assert.NoError(t, err, "a closed listener's port is free again")

		a, err := server.Network.Listen(ctx, ":0")
		require.NoError(t, err)
		b, err := server.Network.Listen(ctx, ":0")
		require.NoError(t, err)
		assert.NotEqual(t, a.Addr().String(), b.Addr().String(), "port 0 picks a free port")
		assert.True(t, strings.HasPrefix(a.Addr().String(), "10.0.0.2:49"), a.Addr().String())

		done, cancel := context.WithCancel(ctx)
		cancel()
		_, err = server.Network.Listen(done, ":0")
		assert.ErrorIs(t, err, context.Canceled)
		return nil
	})
}

func TestClosedConnAndListener(t *testing.T) {
	simulate(t, 4, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, _ := pair(t, ctx, client, server)
		require.NoError(t, c.Close())
		_, err := c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, net.ErrClosed)
		assert.Contains(t, err.Error(), "read tcp 10.0.0.1:")
		assert.Contains(t, err.Error(), "use of closed network connection")
		_, err = c.Write([]byte("x"))
		assert.ErrorIs(t, err, net.ErrClosed)
		assert.ErrorIs(t, c.Close(), net.ErrClosed)
		assert.ErrorIs(t, c.SetDeadline(time.Time{}), net.ErrClosed)
		assert.ErrorIs(t, c.SetReadDeadline(time.Time{}), net.ErrClosed)
		assert.ErrorIs(t, c.SetWriteDeadline(time.Time{}), net.ErrClosed)

		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		require.NoError(t, l.Close())
		_, err = l.Accept()
		assert.ErrorIs(t, err, net.ErrClosed)
		assert.Equal(t, "accept tcp 10.0.0.2:80: use of closed network connection", err.Error())
		assert.ErrorIs(t, l.Close(), net.ErrClosed)
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)
		return nil
	})
}

func TestDialContext(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	simulate(t, 5, cfg, func(ctx context.Context, client, server providers.Providers) error {
		_, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)

		// A deadline that passes while the connect travels.
		dctx, cancel := client.Time.WithTimeout(ctx, time.Microsecond)
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		assertDialTimedOut(t, err)
		assert.Equal(t, "dial tcp 10.0.0.2:80: i/o timeout", err.Error())

		// A cancelled context.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = client.Network.Dial(cctx, "10.0.0.2:80")
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "dial tcp 10.0.0.2:80: operation was canceled", err.Error())

		// Once connected, the dial's context no longer matters.
		dctx, cancel = client.Time.WithTimeout(ctx, time.Second)
		c, err := client.Network.Dial(dctx, "10.0.0.2:80")
		require.NoError(t, err)
		cancel()
		_, err = c.Write([]byte("still fine"))
		assert.NoError(t, err)
		return nil
	})
}

// A dial whose context's deadline passes has one of package net's two
// shapes of that timeout, os.ErrDeadlineExceeded or context.DeadlineExceeded,
// as the race in its connect decides: each seed replays its own, and
// seeds see both.
func TestADialTimeoutHasEitherShape(t *testing.T) {
	timeout := func(seed uint64) (poller bool) {
		simulate(t, seed, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
			dctx, cancel := client.Time.WithTimeout(ctx, 100*time.Millisecond)
			_, err := client.Network.Dial(dctx, "10.9.9.9:80")
			cancel()
			assertDialTimedOut(t, err)
			poller = errors.Is(err, os.ErrDeadlineExceeded)
			return nil
		})
		return poller
	}
	shapes := map[bool]int{}
	for seed := range uint64(32) {
		poller := timeout(seed)
		assert.Equal(t, poller, timeout(seed), "seed %d replays its shape", seed)
		shapes[poller]++
	}
	assert.Positive(t, shapes[true], "some seeds see os.ErrDeadlineExceeded")
	assert.Positive(t, shapes[false], "some seeds see context.DeadlineExceeded")
}

func TestBadHostNames(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	n, err := simnet.New(w, chaos.NoNetworkFaults())
	require.NoError(t, err)
	for _, name := range []string{"", "localhost", "127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "0.0.0.0", "::", "a:b", "has space"} {
		assert.Contains(t, panicMsg(func() { n.Host(name) }), "cannot name a host; use an IP literal", name)
	}
	n.Host("10.0.0.1")
	assert.Panics(t, func() { n.SteadyHost("10.0.0.1") }, "a drifting host cannot become steady")
	assert.Same(t, n.Host("db-1"), n.Host("db-1"))
	assert.Equal(t, "db-1", n.Host("db-1").Host())
}

func TestNamedHostsGiveAddr(t *testing.T) {
	w := newWorld(t, 1, chaos.NoNetworkFaults())
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		db := on(p, w.net.Host("db"))
		l, err := db.Network.Listen(ctx, ":5432")
		require.NoError(t, err)
		assert.Equal(t, &simnet.Addr{Host: "db", Port: 5432}, l.Addr())
		assert.Equal(t, "tcp", l.Addr().Network())
		app := on(p, w.net.Host("app"))
		_, err = app.Network.Dial(ctx, "db:5432")
		return err
	})
	require.NoError(t, res.Err)
}

func TestBadConfiguration(t *testing.T) {
	cfg := chaos.DefaultNetwork()
	cfg.BitFlipProb = 1.5
	cfg.SendBuffer = -1
	_, err := simnet.New(sim.New(sim.Config{}), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chaos.Network.BitFlipProb is 1.5")
	assert.Contains(t, err.Error(), "chaos.Network.SendBuffer is -1")
}

func TestErrorsAreNetErrors(t *testing.T) {
	// The simulated errors satisfy the same checks as package net's.
	simulate(t, 6, chaos.NoNetworkFaults(), func(ctx context.Context, client, server providers.Providers) error {
		c, _ := pair(t, ctx, client, server)
		require.NoError(t, c.SetReadDeadline(client.Time.Now()))
		_, err := c.Read(make([]byte, 1))
		assert.True(t, os.IsTimeout(err), "os.IsTimeout")
		var ne net.Error
		assert.ErrorAs(t, err, &ne)
		return nil
	})
}

// panicMsg returns what f panics with, as a string, or "" if it returns.
func panicMsg(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
