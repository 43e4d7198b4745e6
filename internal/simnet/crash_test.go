package simnet_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

func TestCrashResetsConnectionsAndFreesPorts(t *testing.T) {
	w := newWorld(t, 1, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		c, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		s, err := l.Accept()
		require.NoError(t, err)
		pending, err := client.Network.Dial(ctx, "10.0.0.2:80") // never accepted
		require.NoError(t, err)
		blocked := client.Task.Go(ctx, "reader", func(context.Context) error {
			_, err := c.Read(make([]byte, 1))
			return err
		})
		client.Time.Sleep(ctx, time.Millisecond)

		w.net.Host("10.0.0.2").Crash()

		// The crashed host's own ends are closed.
		_, err = l.Accept()
		assert.ErrorIs(t, err, net.ErrClosed)
		_, err = s.Read(make([]byte, 1))
		assert.ErrorIs(t, err, net.ErrClosed)

		// Its peers are reset, the accepted and the pending connection alike.
		err = blocked.Join(ctx)
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "a blocked read is woken by the reset: %v", err)
		client.Time.Sleep(ctx, time.Second)
		_, err = pending.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "got %v", err)

		// Nobody listens until the host restarts, on the same port.
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)
		l, err = server.Network.Listen(ctx, ":80")
		require.NoError(t, err, "the crash freed the port")
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		assert.NoError(t, err)
		return nil
	})
	assert.NotEmpty(t, events(res, "host 10.0.0.2 crashed: 2 connections reset, 1 listeners closed"))
}

func TestKilledDiallerLeavesNoLiveConnection(t *testing.T) {
	w := newWorld(t, 2, chaos.NoNetworkFaults())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		h := client.Task.Go(ctx, "dialler", func(ctx context.Context) error {
			_, err := client.Network.Dial(ctx, "10.0.0.2:80")
			return err
		})
		client.Time.Sleep(ctx, 10*time.Microsecond) // the connect is on its way
		w.w.Kill(h)
		s, err := l.Accept()
		require.NoError(t, err, "the connect arrived before its dialler died")
		_, err = s.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "the dead dialler's host resets the connection: %v", err)
		return nil
	})
}

func TestDiallerThatGaveUpLeavesNoOpenConnection(t *testing.T) {
	w := newWorld(t, 3, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		// The connect gets through; the answer is held until after the
		// dialler gave up.
		w.net.Clog("10.0.0.2", "10.0.0.1", time.Second)
		dctx, cancel := client.Time.WithTimeout(ctx, 100*time.Millisecond)
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		s, err := l.Accept()
		require.NoError(t, err, "the connect reached the listener")

		client.Time.Sleep(ctx, 2*time.Second) // the answer arrives
		_, err = s.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "the dialler's host resets the connection nobody took: %v", err)

		w.net.Host("10.0.0.1").Crash()
		return nil
	})
	assert.NotEmpty(t, events(res, "host 10.0.0.1 crashed: 0 connections reset, 0 listeners closed"),
		"the end closed when the answer came is not counted\n%v", events(res, "crashed"))
}
