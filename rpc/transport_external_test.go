package rpc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestRoundTripsBothWays(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		toServer, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		toClient, err := rpc.Serve(client, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
			return echoResp{r.N + 1}, nil
		})
		require.NoError(s, err)
		assert.Equal(s, "10.0.0.1:4500", toServer.Addr)
		ctx := s.Context()
		for i := range 10 {
			r, err := toServer.GetReply(ctx, client, echoReq{i})
			require.NoError(s, err)
			assert.Equal(s, 2*i, r.N)
			r, err = toClient.TryGetReply(ctx, server, echoReq{i})
			require.NoError(s, err)
			assert.Equal(s, i+1, r.N)
			r, err = toServer.GetReplyUnlessFailedFor(ctx, client, echoReq{i}, time.Second)
			require.NoError(s, err)
			assert.Equal(s, 2*i, r.N)
		}
	}, quiet...)
}

func TestSendIsDelivered(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(3))
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(3))
		for i := range 3 {
			require.NoError(s, ep.Send(s.Context(), client, echoReq{i}))
		}
		for i := range 3 {
			r, err := st.Next(within(s, time.Second))
			require.NoError(s, err)
			assert.Equal(s, i, r.Req.N, "unreliable messages on one connection keep their order")
			assert.NoError(s, r.Reply(echoResp{}), "replying to a Send does nothing")
		}
	}, quiet...)
}

func TestEndpointNotFound(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ctx := s.Context()
		wk := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(9))
		_, err := wk.GetReply(ctx, client, echoReq{})
		require.ErrorIs(s, err, rpc.ErrEndpointNotFound)
		assert.Contains(s, err.Error(), "nothing serves the token there yet; serve it right after NewTransport", "the error names the fix")
		assert.False(s, client.Monitor().PermanentlyFailed(server.Addr(), wk.Token), "a well-known token may be served later")

		dyn := rpc.At[echoReq, echoResp](server.Addr(), rpc.NewToken(s.Providers().Random))
		_, err = dyn.TryGetReply(ctx, client, echoReq{})
		require.ErrorIs(s, err, rpc.ErrEndpointNotFound)
		assert.Contains(s, err.Error(), "no longer served there", "a dynamic token is gone")
		assert.Contains(s, err.Error(), "ask its server for its endpoint again", "the error names the fix")
		assert.True(s, client.Monitor().PermanentlyFailed(server.Addr(), dyn.Token))
		_, err = dyn.GetReply(ctx, client, echoReq{})
		require.ErrorIs(s, err, rpc.ErrEndpointNotFound, "a permanently failed endpoint fails at once")
		require.ErrorIs(s, err, rpc.ErrNotSent, "nothing was sent")
		assert.Contains(s, err.Error(), "ask its server for its endpoint again", "the error names the fix")
		assert.Equal(s, uint64(2), server.Stats().NotFound)
	}, quiet...)
}

func TestRemoteError(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (echoResp, error) {
			return echoResp{}, errors.New("no such account")
		})
		require.NoError(s, err)
		_, err = ep.GetReply(s.Context(), client, echoReq{})
		var re *rpc.RemoteError
		require.ErrorAs(s, err, &re)
		assert.Equal(s, "no such account", re.Msg)
		assert.Equal(s, server.Addr(), re.Addr)
		assert.NotErrorIs(s, err, rpc.ErrBrokenPromise)
	}, quiet...)
}

func TestServeTwice(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, _ := newPair(s)
		_, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		_, err = rpc.Serve(server, rpc.WellKnown(1), double)
		require.ErrorIs(s, err, rpc.ErrTokenInUse)
		_, err = rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.ErrorIs(s, err, rpc.ErrTokenInUse)
		_, err = rpc.Serve(server, rpc.Token{}, double)
		require.ErrorContains(s, err, "zero token")
	}, quiet...)
}

func TestClosedTransport(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep2, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		_, err = ep2.GetReply(s.Context(), client, echoReq{})
		require.NoError(s, err)
		waiting := s.Go("waiter", func(ctx context.Context) error {
			_, err := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(7)).GetReply(ctx, client, echoReq{})
			if errors.Is(err, rpc.ErrEndpointNotFound) {
				return nil
			}
			return err
		})
		require.NoError(s, waiting.Join(s.Context()))
		require.NoError(s, client.Close())
		_, err = ep2.GetReply(s.Context(), client, echoReq{})
		require.ErrorIs(s, err, rpc.ErrClosed)
		require.ErrorIs(s, ep2.Send(s.Context(), client, echoReq{}), rpc.ErrClosed)
		_, err = rpc.Serve(client, rpc.WellKnown(5), double)
		require.ErrorIs(s, err, rpc.ErrClosed)
		require.NoError(s, client.Close(), "a second Close does nothing")
	}, quiet...)
}

func TestContextEnds(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(2))
		st, err := rpc.ServeStream[echoReq, echoResp](server, ep.Token)
		require.NoError(s, err)
		_ = st
		_, err = ep.GetReply(within(s, time.Second), client, echoReq{})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		assert.ErrorContains(s, err, "GetReply to wellknown/2 at 10.0.0.1:4500")
	}, quiet...)
}

func TestConfigRejected(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		_, err := rpc.NewTransport(s.Context(), p, rpc.Config{PingTimeout: -time.Second, MaxQueued: -1})
		require.ErrorContains(s, err, "Config.MaxQueued is negative")
		require.ErrorContains(s, err, "Config.PingTimeout is negative")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{InitialBackoff: time.Minute})
		require.ErrorContains(s, err, "MaxBackoff (30s) is less than InitialBackoff (1m0s)")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{MaxBackoffQueued: -time.Second})
		require.ErrorContains(s, err, "Config.MaxBackoffQueued is negative")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{ServeGrace: -time.Second})
		require.ErrorContains(s, err, "Config.ServeGrace is negative")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{InitialBackoff: time.Second, MaxBackoffQueued: time.Millisecond})
		require.ErrorContains(s, err, "MaxBackoffQueued (1ms) is less than InitialBackoff (1s)")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{PingInterval: 10 * time.Second})
		require.ErrorContains(s, err, "Config.PingTimeout (4s) is not above PingInterval (10s), so a quiet connection would end before its ping is answered; raise PingTimeout")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{PingInterval: time.Second, PingTimeout: time.Second})
		require.ErrorContains(s, err, "Config.PingTimeout (1s) is not above PingInterval (1s)")
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{InitialBackoff: 2 * time.Second})
		require.NoError(s, err, "the default MaxBackoffQueued is raised to InitialBackoff")
		p.Network = nil
		_, err = rpc.NewTransport(s.Context(), p, rpc.Config{})
		require.ErrorContains(s, err, "needs the Network")
		_, err = rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.1"), rpc.Config{Listen: "nonsense"})
		require.ErrorContains(s, err, "rpc: listen on nonsense")
	}, quiet...)
}

func TestUnserve(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		_, err = ep.GetReply(s.Context(), client, echoReq{1})
		require.NoError(s, err)
		rpc.Unserve(server, ep.Token)
		_, err = ep.GetReply(s.Context(), client, echoReq{1})
		require.ErrorIs(s, err, rpc.ErrEndpointNotFound)
		_, err = rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err, "the token is free again")
		_, err = ep.GetReply(s.Context(), client, echoReq{1})
		require.NoError(s, err, "a well-known token not found is not failed for good")
	}, quiet...)
}

// A peer belongs to its transport, not to the task that first called its
// address: when the process of that task crashes, the peer lives on, and
// the transport's other callers are answered on it.
func TestPeerOutlivesTheProcessOfItsFirstCaller(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		dbl, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		first := providers.NewChan[struct{}](s.Providers().Task, 1)
		c := s.Boot(simtest.Processes{Name: "caller", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if _, err := dbl.GetReply(ctx, client, echoReq{N: 1}); err != nil { // makes the peer
					return err
				}
				first.TrySend(struct{}{})
				return providers.Wait(ctx, p.Task)
			})
		}})
		_, _, err = first.Recv(within(s, time.Minute))
		require.NoError(s, err)
		c.Stop("caller-0", simtest.Crash)
		resp, err := dbl.GetReply(within(s, time.Minute), client, echoReq{N: 4})
		require.NoError(s, err)
		assert.Equal(s, echoResp{8}, resp)
		assert.Zero(s, client.Stats().Disconnects, "the peer's connection lives on")
	}, quiet...)
}

// A transport whose own process was killed starts nothing more: a call
// through it to an address it had no peer for fails with ErrClosed, and
// says why.
func TestTransportOfAKilledProcessIsClosed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, _ := newPair(s)
		dbl, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		var tr *rpc.Transport
		c := s.Boot(simtest.Processes{Name: "owner", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				var err error
				if tr, err = rpc.NewTransport(ctx, p, rpc.Config{}); err != nil {
					return err
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Sleep(time.Millisecond)
		require.NotNil(s, tr)
		c.Stop("owner-0", simtest.Crash)
		_, err = dbl.GetReply(within(s, time.Minute), tr, echoReq{N: 1})
		require.ErrorIs(s, err, rpc.ErrClosed)
		assert.ErrorContains(s, err, "make a new transport in the restarted process")
	}, quiet...)
}

// A reply that comes after its caller gave up is an orphan, even when a
// later call reuses what the first call held (its reply token's slot):
// it does not settle the later call, which gets its own reply.
func TestLateReplyToAReusedCall(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(2))
		require.NoError(s, err)
		ep := st.Endpoint()
		_, err = ep.GetReply(within(s, time.Second), client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)

		var got echoResp
		var gotErr error
		second := s.Go("second call", func(ctx context.Context) error {
			got, gotErr = ep.GetReply(ctx, client, echoReq{2})
			return nil
		})
		first, err := st.Next(s.Context())
		require.NoError(s, err)
		require.Equal(s, 1, first.Req.N)
		require.NoError(s, first.Reply(echoResp{100})) // to the call that gave up
		next, err := st.Next(s.Context())
		require.NoError(s, err)
		require.Equal(s, 2, next.Req.N)
		s.Sleep(100 * time.Millisecond) // the late reply arrives first
		require.NoError(s, next.Reply(echoResp{200}))
		require.NoError(s, second.Join(s.Context()))

		require.NoError(s, gotErr)
		assert.Equal(s, 200, got.N, "the later call gets its own reply")
		assert.Equal(s, uint64(1), client.Stats().Orphans, "the late reply is an orphan")
	}, quiet...)
}
