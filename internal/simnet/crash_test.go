package simnet_test

import (
	"context"
	"errors"
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

func TestCrashClosesConnectionsAsTCPAndFreesPorts(t *testing.T) {
	w := newWorld(t, 1, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		quiet, err := client.Network.Dial(ctx, "10.0.0.2:80") // all read: FIN
		require.NoError(t, err)
		s1, err := l.Accept()
		require.NoError(t, err)
		unread, err := client.Network.Dial(ctx, "10.0.0.2:80") // data unread: reset
		require.NoError(t, err)
		_, err = l.Accept()
		require.NoError(t, err)
		pending, err := client.Network.Dial(ctx, "10.0.0.2:80") // never accepted: reset
		require.NoError(t, err)
		_, err = s1.Write([]byte("last words"))
		require.NoError(t, err)
		_, err = unread.Write([]byte("never read"))
		require.NoError(t, err)
		blocked := client.Task.Go(ctx, "reader", func(context.Context) error {
			b, err := io.ReadAll(quiet)
			if string(b) != "last words" {
				return fmt.Errorf("read %q before the end", b)
			}
			return err
		})
		client.Time.Sleep(ctx, time.Millisecond)

		w.net.Host("10.0.0.2").Crash()

		// The crashed host's own ends are closed.
		_, err = l.Accept()
		assert.ErrorIs(t, err, net.ErrClosed)
		_, err = s1.Read(make([]byte, 1))
		assert.ErrorIs(t, err, net.ErrClosed)

		// A peer whose data was all read gets what was sent, then EOF.
		assert.NoError(t, blocked.Join(ctx), "a blocked read sees the FIN as EOF")
		// One whose data was unread, or whose connection was never
		// accepted, gets a reset.
		client.Time.Sleep(ctx, time.Second)
		_, err = unread.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "unread data at the crash: %v", err)
		_, err = pending.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "never accepted: %v", err)
		// Data sent after the FIN is answered with a reset.
		_, err = quiet.Write([]byte("anyone?"))
		require.NoError(t, err)
		client.Time.Sleep(ctx, time.Second)
		_, err = quiet.Write([]byte("anyone?"))
		assert.True(t, errors.Is(err, syscall.EPIPE), "after the reset: %v", err)

		// Nobody listens until the host restarts, on the same port.
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)
		l, err = server.Network.Listen(ctx, ":80")
		require.NoError(t, err, "the crash freed the port")
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		assert.NoError(t, err)
		return nil
	})
	assert.NotEmpty(t, events(res, "host 10.0.0.2 crashed: 3 connections closed, 2 of them reset; 1 listener closed"))
}

// Exit ends the sockets as Crash does and says how the process ended; the
// trace is the crash's, so that telling it truly changes no run.
func TestExitTellsHowTheProcessEndedAndTracesAsACrash(t *testing.T) {
	run := func(end func(h *simnet.Host)) sim.Result {
		w := newWorld(t, 1, chaos.NoNetworkFaults())
		return w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			l, err := server.Network.Listen(ctx, ":80")
			require.NoError(t, err)
			_, err = server.Network.ListenPacket(ctx, ":53")
			require.NoError(t, err)
			c, err := client.Network.Dial(ctx, "10.0.0.2:80")
			require.NoError(t, err)
			_, err = l.Accept()
			require.NoError(t, err)
			end(w.net.Host("10.0.0.2"))
			_, err = c.Read(make([]byte, 1))
			assert.ErrorIs(t, err, io.EOF, "the peer reads the FIN")
			return nil
		})
	}
	crashed := run(func(h *simnet.Host) { h.Crash() })
	stopped := run(func(h *simnet.Host) { h.Exit("stopped gracefully") })
	assert.Equal(t, []string{
		"host 10.0.0.2 crashed: 1 connection closed, 0 of them reset; 1 listener closed",
		"host 10.0.0.2 crashed: 1 datagram socket closed",
	}, msgs(events(crashed, "host 10.0.0.2 ")))
	assert.Equal(t, []string{
		"host 10.0.0.2 stopped gracefully: 1 connection closed, 0 of them reset; 1 listener closed",
		"host 10.0.0.2 stopped gracefully: 1 datagram socket closed",
	}, msgs(events(stopped, "host 10.0.0.2 ")))
	assert.Equal(t, crashed.Trace, stopped.Trace)
}

// msgs cuts each of lines, as events returns them, to what follows "net: ".
func msgs(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		_, out[i], _ = strings.Cut(l, "net: ")
	}
	return out
}

func TestPowerLossIsSilentUntilThePeerSendsToTheRebootedHost(t *testing.T) {
	w := newWorld(t, 4, chaos.NoNetworkFaults())
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		l, err := server.Network.Listen(ctx, ":80")
		require.NoError(t, err)
		idle, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		_, err = l.Accept()
		require.NoError(t, err)
		talker, err := client.Network.Dial(ctx, "10.0.0.2:80")
		require.NoError(t, err)
		_, err = l.Accept()
		require.NoError(t, err)
		pending, err := client.Network.Dial(ctx, "10.0.0.2:80") // never accepted
		require.NoError(t, err)
		host := w.net.Host("10.0.0.2")

		host.PowerOff()

		// Nothing reaches the peers: reads wait for their own deadlines.
		for _, c := range []net.Conn{idle, talker, pending} {
			require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(5*time.Second)))
			_, err = c.Read(make([]byte, 1))
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a peer of a host without power hears nothing")
		}
		// What is sent is not acknowledged, and connects hang.
		_, err = talker.Write([]byte("hello?"))
		require.NoError(t, err)
		dctx, cancel := client.Time.WithTimeout(ctx, time.Second)
		_, err = client.Network.Dial(dctx, "10.0.0.2:80")
		cancel()
		assertDialTimedOut(t, err, "a connect to a host without power hangs")
		waiting := client.Task.Go(ctx, "dialler", func(ctx context.Context) error {
			_, err := client.Network.Dial(ctx, "10.0.0.2:80")
			return err
		})
		client.Time.Sleep(ctx, time.Second)

		host.PowerOn()
		err = waiting.Join(ctx)
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "a waiting connect is sent again once the host is on: %v", err)
		// The peer with unacknowledged data retransmits and is reset;
		// the idle one learns only when it next sends.
		client.Time.Sleep(ctx, time.Second)
		require.NoError(t, talker.SetReadDeadline(time.Time{}))
		_, err = talker.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "retransmission to the rebooted host: %v", err)
		require.NoError(t, idle.SetReadDeadline(client.Time.Now().Add(5*time.Second)))
		_, err = idle.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "an idle peer still hears nothing")
		_, err = idle.Write([]byte("still there?"))
		require.NoError(t, err)
		require.NoError(t, idle.SetReadDeadline(time.Time{}))
		_, err = idle.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, syscall.ECONNRESET), "a send to the rebooted host: %v", err)
		// Nobody listens there until the process is back.
		_, err = client.Network.Dial(ctx, "10.0.0.2:80")
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "got %v", err)
		return nil
	})
	assert.NotEmpty(t, events(res, "host 10.0.0.2 lost power: 3 connections and 1 listener vanished"))
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
	assert.NotEmpty(t, events(res, "host 10.0.0.1 crashed: 0 connections closed, 0 of them reset; 0 listeners closed"),
		"the end closed when the answer came is not counted\n%v", events(res, "crashed"))
}

// A task that outlives its host's power (one the test driver runs with the
// host's providers: a process's own tasks are killed first) and waits in a
// Read or a Write of one of the host's connections returns with
// net.ErrClosed, as it does when the host crashes, instead of waiting for
// ever: the connection is gone, and with it its deadlines.
func TestPowerLossEndsTheCallsWaitingOnTheHostsConnections(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SendBuffer = 1024
	for _, crash := range []bool{false, true} {
		w := newWorld(t, 5, cfg)
		w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			reader, _ := pair(t, ctx, server, client)
			writer, _ := pair(t, ctx, server, client)
			require.NoError(t, reader.SetReadDeadline(server.Time.Now().Add(time.Hour)))
			read := server.Task.Go(ctx, "reader", func(context.Context) error {
				_, err := reader.Read(make([]byte, 1))
				return err
			})
			write := server.Task.Go(ctx, "writer", func(context.Context) error {
				_, err := writer.Write(make([]byte, 4096)) // more than the peer's buffer holds
				return err
			})
			server.Time.Sleep(ctx, 10*time.Millisecond)
			if crash {
				w.net.Host("10.0.0.2").Crash()
			} else {
				w.net.Host("10.0.0.2").PowerOff()
			}
			assert.ErrorIs(t, read.Join(ctx), net.ErrClosed, "a Read waiting when the host went down (crash %v)", crash)
			assert.ErrorIs(t, write.Join(ctx), net.ErrClosed, "a Write waiting when the host went down (crash %v)", crash)
			return nil
		})
	}
}
