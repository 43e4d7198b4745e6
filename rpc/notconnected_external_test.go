package rpc_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestTimeoutNamesWhyNotConnected: a call that times out because its
// peer could not be reached says why (nobody listens there, or what
// listens does not speak the protocol), not only that its context ended.
func TestTimeoutNamesWhyNotConnected(t *testing.T) {
	t.Run("nobody listens", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			client, ep := toNowhere(s, rpc.Config{})
			_, err := ep.GetReply(within(s, 2*time.Second), client, echoReq{1})
			require.ErrorIs(s, err, context.DeadlineExceeded)
			assert.Contains(s, err.Error(), "connection refused", "the error says why no connection was made")
		}, quiet...)
	})
	t.Run("not an rpc server", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			sp := s.HostProviders("10.0.0.1")
			l, err := sp.Network.Listen(s.Context(), ":4500")
			require.NoError(s, err)
			sp.Task.Go(s.Context(), "http server", func(ctx context.Context) error {
				for {
					c, err := l.Accept()
					if err != nil {
						return nil
					}
					io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
					c.Close()
				}
			})
			client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{})
			require.NoError(s, err)
			ep := rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1))
			// TryGetReply's request, queued for the first connection,
			// which is never made, is dropped unsent.
			_, err = ep.TryGetReply(within(s, 2*time.Second), client, echoReq{1})
			require.ErrorIs(s, err, rpc.ErrMaybeDelivered)
			assert.Contains(s, err.Error(), "no connection could be made")
			assert.NotContains(s, err.Error(), "the connection ended", "no connection was made")

			_, err = ep.GetReply(within(s, 2*time.Second), client, echoReq{1})
			require.ErrorIs(s, err, context.DeadlineExceeded)
			assert.Contains(s, err.Error(), `the first bytes from 10.0.0.1:4500 ("HTTP") do not begin a hello frame: what answers there does not speak this protocol`)
			assert.NotContains(s, err.Error(), "raise the maximum", "no bound to raise: the peer speaks something else")
		}, quiet...)
	})
}

// TestTryGetReplyUnsentIsNotSent: a TryGetReply whose connection could
// not be made was never sent, and says so in a way code can test: a
// caller of an operation that must not run twice may send it again.
func TestTryGetReplyUnsentIsNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		client, ep := toNowhere(s, rpc.Config{})
		_, err := ep.TryGetReply(within(s, 2*time.Second), client, echoReq{1})
		require.ErrorIs(s, err, rpc.ErrNotSent)
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered, "it refines ErrMaybeDelivered, which callers already test")
		assert.NotErrorIs(s, err, rpc.ErrBrokenPromise)
		assert.Equal(s, "rpc: TryGetReply to wellknown/1 at 10.0.0.1:4500: the request was dropped unsent, since no connection could be made: dial tcp 10.0.0.1:4500: connect: connection refused", err.Error(),
			"one sentence, which does not also say that the request may have been delivered, and names the method as the full queue's error does")
	}, quiet...)
}

// TestTryGetReplyQueueFullIsNotSent: a TryGetReply that finds the peer's
// unreliable queue full is dropped before it is sent, and its error says
// so, matching ErrNotSent as well as ErrMaybeDelivered.
func TestTryGetReplyQueueFullIsNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		client, ep := toNowhere(s, rpc.Config{MaxUnreliableBytes: 60})
		// The connect hangs: the first request waits in the queue.
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		s.Go("first", func(context.Context) error {
			_, _ = ep.TryGetReply(within(s, time.Second), client, echoReq{1})
			return nil
		})
		s.Sleep(time.Millisecond)
		_, err := ep.TryGetReply(within(s, time.Second), client, echoReq{2})
		require.ErrorIs(s, err, rpc.ErrNotSent)
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered)
		assert.Equal(s, "rpc: TryGetReply to wellknown/1 at 10.0.0.1:4500: the request was dropped unsent, since the peer's unreliable queue is full (Config.MaxUnreliableBytes)", err.Error())
	}, quiet...)
}

// TestTimeoutNamesTheConnectUnderWay: a call that times out while a
// connect hangs says so, and how long it has been under way, before
// the refusal of the connect before it: the refusal is not why it
// waited.
func TestTimeoutNamesTheConnectUnderWay(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		client, ep := toNowhere(s, rpc.Config{})
		_, err := ep.GetReply(within(s, 500*time.Millisecond), client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		assert.Contains(s, err.Error(), "connection refused")

		// The next connect hangs, and is under way when the call ends.
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		_, err = ep.GetReply(within(s, 3*time.Second), client, echoReq{2})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		assert.Regexp(s, `^rpc: GetReply to wellknown/1 at 10\.0\.0\.1:4500: context deadline exceeded \(not connected: a connect to the address has been under way for [0-9.]+m?s, and the one before it failed: dial tcp 10\.0\.0\.1:4500: connect: connection refused\): the request was not sent$`, err.Error())
	}, quiet...)
}

// TestADeadlineBeforeTheRequestWentOutIsNotSent: a call whose context
// ends while its request still waits for a connection matches ErrNotSent
// as well as its context's error, so that a caller tells it from a request
// that may have been delivered without reading the message; one whose
// request went out does not.
func TestADeadlineBeforeTheRequestWentOutIsNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		client, ep := toNowhere(s, rpc.Config{})
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) // the connect hangs
		_, err := ep.TryGetReply(within(s, time.Second), client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		require.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered, "ErrNotSent refines it")
		assert.Regexp(s, `^rpc: TryGetReply to wellknown/1 at 10\.0\.0\.1:4500: context deadline exceeded \(not connected: a connect to the address has been under way for [0-9.]+m?s\): the request was not sent$`, err.Error())

		_, err = ep.GetReply(within(s, time.Second), client, echoReq{2})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		require.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
	}, quiet...)

	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(2)) // never answers
		_, err = ep.TryGetReply(within(s, time.Second), client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		assert.NotErrorIs(s, err, rpc.ErrNotSent, "the request went out: %v", err)

		s.Go("stop", func(context.Context) error {
			s.Sleep(time.Second)
			c.Stop("srv-0", simtest.Crash)
			return nil
		})
		_, err = ep.GetReply(within(s, 3*time.Second), client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		assert.NotErrorIs(s, err, rpc.ErrNotSent, "the request went out, and its connection then ended: %v", err)
		assert.NotErrorIs(s, err, rpc.ErrMaybeDelivered, "a deadline is no outcome of its own")
	}, quiet...)
}

// TestTimeoutAfterTheConnectionEndedSaysWhatFollowed: a request sent on a
// connection that then ended, and whose redial fails, says both, in the
// order they happened.
func TestTimeoutAfterTheConnectionEndedSaysWhatFollowed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(2)) // never answers
		s.Go("stop", func(context.Context) error {
			s.Sleep(time.Second)
			c.Stop("srv-0", simtest.Crash)
			return nil
		})
		_, err = ep.GetReply(within(s, 3*time.Second), client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		assert.Contains(s, err.Error(), "(the request was sent, and its connection ended before the reply: EOF; ", "the connection's end, not a failed connect's")
		assert.Regexp(s, `; (no connection could be made since: dial tcp srv-0:4500: connect: connection refused(; the next connect begins in [0-9.]+m?s)?|a connect to the address has been under way for [0-9.]+m?s, and the one before it failed: dial tcp srv-0:4500: connect: connection refused)\)$`, err.Error())
	}, quiet...)
}

// TestACallOnACrashedProcesssTransportFailsAtOnce: a transport whose
// process crashed is closed, though the crash killed the task that closes
// it when its context ends: a later call fails at once with ErrClosed,
// and does not wait on the peer its dead process made, nor say that a
// connect is under way there.
func TestACallOnACrashedProcesssTransportFailsAtOnce(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		s.HostProviders("10.0.0.1")
		// The connect hangs: the owner's process is crashed in its midst.
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		ep := rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1))
		var tr *rpc.Transport
		c := s.Boot(simtest.Processes{Name: "owner", Hosts: []string{"10.0.0.2"}, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				var err error
				if tr, err = rpc.NewTransport(ctx, p, rpc.Config{}); err != nil {
					return err
				}
				_, _ = ep.GetReply(ctx, tr, echoReq{1}) // makes the peer, which dials
				return nil
			})
		}})
		s.Sleep(time.Second)
		require.NotNil(s, tr)
		c.Stop("owner-0", simtest.Crash)
		s.Sleep(time.Second)
		start := s.Elapsed()
		_, err := ep.GetReply(within(s, time.Second), tr, echoReq{2})
		require.ErrorIs(s, err, rpc.ErrClosed)
		assert.Equal(s, start, s.Elapsed(), "at once")
		assert.NotContains(s, err.Error(), "under way", "the connect ended with its process")
	}, quiet...)
}

// toNowhere makes a client transport on 10.0.0.2 of config cfg, and the
// echo endpoint at 10.0.0.1:4500, a host where nothing listens.
func toNowhere(s *simtest.S, cfg rpc.Config) (*rpc.Transport, rpc.Endpoint[echoReq, echoResp]) {
	s.Helper()
	s.HostProviders("10.0.0.1")
	client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), cfg)
	require.NoError(s, err)
	return client, rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1))
}
