package rpc_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestTimeoutNamesWhyNotConnected: a call that times out because its
// peer could not be reached says why (nobody listens there, or what
// listens does not speak the protocol), not only that its context ended.
func TestTimeoutNamesWhyNotConnected(t *testing.T) {
	t.Run("nobody listens", func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			s.HostProviders("10.0.0.1") // a host, where nothing listens
			client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{})
			require.NoError(s, err)
			ep := rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1))
			_, err = ep.GetReply(within(s, 2*time.Second), client, echoReq{1})
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
		s.HostProviders("10.0.0.1") // a host, where nothing listens
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1))
		_, err = ep.TryGetReply(within(s, 2*time.Second), client, echoReq{1})
		require.ErrorIs(s, err, rpc.ErrNotSent)
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered, "it refines ErrMaybeDelivered, which callers already test")
	}, quiet...)
}
