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
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// backlogOf2 is a network without faults whose listeners keep two
// connections waiting for Accept.
func backlogOf2() chaos.Network {
	cfg := chaos.NoNetworkFaults()
	cfg.Backlog = 2
	return cfg
}

// fill dials addr until its listener's backlog of two is full.
func fill(t *testing.T, ctx context.Context, p providers.Providers, addr string) {
	t.Helper()
	for range 2 {
		_, err := p.Network.Dial(ctx, addr)
		require.NoError(t, err)
	}
}

// acceptsNothing checks that l, a listener of p's host, takes no
// connection within a minute.
func acceptsNothing(t *testing.T, p providers.Providers, l net.Listener, why string) {
	t.Helper()
	require.NoError(t, l.(interface{ SetDeadline(time.Time) error }).SetDeadline(p.Time.Now().Add(time.Minute)))
	_, err := l.Accept()
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, why)
}

// A pending dial, run as a task: its result, once the task is joined.
type pendingDial struct {
	h    providers.Handle
	conn net.Conn
	err  error
	took time.Duration
}

func dialInTask(ctx context.Context, p providers.Providers, addr string) *pendingDial {
	d := &pendingDial{}
	d.h = p.Task.Go(ctx, "dial", func(ctx context.Context) error {
		start := p.Time.Now()
		d.conn, d.err = p.Network.Dial(ctx, addr)
		d.took = p.Time.Now().Sub(start)
		return nil
	})
	return d
}

// A connect that finds the backlog full is not refused: Linux drops its
// SYN and the dialler retransmits, so the dial waits, and connects once
// an Accept makes room.
func TestFullBacklogHoldsConnects(t *testing.T) {
	res := simulate(t, 6, backlogOf2(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		fill(t, ctx, client, "10.0.0.2:80")

		d := dialInTask(ctx, client, "10.0.0.2:80")
		require.NoError(t, client.Time.Sleep(ctx, time.Minute))
		assert.Nil(t, d.conn, "the connect waits while the backlog is full")
		assert.NoError(t, d.err)

		for range 2 {
			_, err := l.Accept()
			require.NoError(t, err)
		}
		require.NoError(t, d.h.Join(ctx))
		require.NoError(t, d.err, "an accept makes room")
		assert.Less(t, d.took, simnet.ConnectTimeout)
		s, err := l.Accept()
		require.NoError(t, err, "the listener keeps the connect that waited")
		assert.Equal(t, d.conn.LocalAddr().String(), s.RemoteAddr().String())
		_, err = d.conn.Write([]byte("hi"))
		require.NoError(t, err)
		buf := make([]byte, 2)
		_, err = io.ReadFull(s, buf)
		require.NoError(t, err)
		assert.Equal(t, "hi", string(buf))
		return nil
	})
	assert.Len(t, events(res, "net: connect 10.0.0.1 -> 10.0.0.2:80 waits: the backlog is full"), 1)
}

// A connect that waits on a full backlog times out as any unanswered
// connect does: at ConnectTimeout, or at its context's deadline if that
// comes first, the error a Go client sees on Linux.
func TestFullBacklogConnectTimesOut(t *testing.T) {
	simulate(t, 7, backlogOf2(), func(ctx context.Context, client, server providers.Providers) error {
		_, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		fill(t, ctx, client, "10.0.0.2:80")

		dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		start := client.Time.Now()
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		assertDialTimedOut(t, err)
		assert.NotErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Equal(t, time.Second, client.Time.Now().Sub(start))

		start = client.Time.Now()
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		requireTimedOut(t, err, "10.0.0.2:80")
		assert.Equal(t, simnet.ConnectTimeout, client.Time.Now().Sub(start), "it gives up when Linux does")
		return nil
	})
}

// A connect whose dialler gave up takes no room: the next Accept lets in
// the one still waiting, and the listener never sees the other.
func TestFullBacklogSkipsConnectsGivenUp(t *testing.T) {
	simulate(t, 8, backlogOf2(), func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		fill(t, ctx, client, "10.0.0.2:80")

		dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		d := dialInTask(ctx, client, "10.0.0.2:80")
		require.NoError(t, client.Time.Sleep(ctx, time.Second))

		for range 3 {
			_, err := l.Accept()
			require.NoError(t, err)
		}
		require.NoError(t, d.h.Join(ctx))
		require.NoError(t, d.err)
		acceptsNothing(t, server, l, "nothing more was let in")
		return nil
	})
}

// A connect whose dialler was killed while it waited on a full backlog
// is not sent again, as Linux retransmits no SYN for a socket its process
// took down: the next Accept lets in the dialler still waiting, and the
// listener never sees the dead one.
func TestFullBacklogSkipsKilledDiallers(t *testing.T) {
	w := newWorld(t, 11, backlogOf2())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		fill(t, ctx, client, "10.0.0.2:80")
		killed := dialInTask(ctx, client, "10.0.0.2:80")
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		w.w.Kill(killed.h)
		d := dialInTask(ctx, client, "10.0.0.2:80")
		require.NoError(t, client.Time.Sleep(ctx, time.Second))

		_, err = l.Accept()
		require.NoError(t, err)
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		require.NotNil(t, d.conn, "the first Accept lets in the dialler still waiting")
		require.NoError(t, d.err)
		for range 2 {
			_, err := l.Accept()
			require.NoError(t, err)
		}
		acceptsNothing(t, server, l, "the killed dialler's connect was never let in")
		return nil
	})
}

// A connect whose dialler was killed while it waited on a host without
// power is not sent again when the host comes back: the listener there
// never sees it.
func TestPowerOnSkipsKilledDiallers(t *testing.T) {
	w := newWorld(t, 12, backlogOf2())
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		w.net.Host("10.0.0.2").PowerOff()
		killed := dialInTask(ctx, client, "10.0.0.2:80")
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		w.w.Kill(killed.h)
		w.net.Host("10.0.0.2").PowerOn()
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		acceptsNothing(t, server, l, "the killed dialler's connect was never let in")
		return nil
	})
}

// A connect waiting on a full backlog is refused when the listener
// closes, or its host crashes, as the dialler's next SYN finds the port
// closed; it waits on when the host loses its power, and is refused
// when the host comes back without the listener.
func TestFullBacklogListenerGoes(t *testing.T) {
	cases := []struct {
		name string
		end  func(t *testing.T, w *world, l net.Listener, client providers.Providers)
	}{
		{"close", func(t *testing.T, _ *world, l net.Listener, _ providers.Providers) { require.NoError(t, l.Close()) }},
		{"crash", func(_ *testing.T, w *world, _ net.Listener, _ providers.Providers) { w.net.Host("10.0.0.2").Crash() }},
		{"power", func(t *testing.T, w *world, _ net.Listener, client providers.Providers) {
			w.net.Host("10.0.0.2").PowerOff()
			require.NoError(t, client.Time.Sleep(context.Background(), time.Minute))
			w.net.Host("10.0.0.2").PowerOn()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 9, backlogOf2())
			w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				l, err := server.Network.Listen(ctx, ":80")
				require.NoError(t, err)
				fill(t, ctx, client, "10.0.0.2:80")
				d := dialInTask(ctx, client, "10.0.0.2:80")
				require.NoError(t, client.Time.Sleep(ctx, time.Second))
				c.end(t, w, l, client)
				require.NoError(t, d.h.Join(ctx))
				assert.ErrorIs(t, d.err, syscall.ECONNREFUSED)
				assert.Less(t, d.took, simnet.ConnectTimeout)
				return nil
			})
		})
	}
}
