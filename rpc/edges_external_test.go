package rpc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

type textMsg struct{ S string }

func TestPayloadAtAndAboveMax(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500", MaxPayload: 1000})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{MaxPayload: 1000})
		require.NoError(s, err)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, b textMsg) (textMsg, error) { return b, nil })
		require.NoError(s, err)
		for _, n := range []int{0, 500, 5000} {
			r, err := ep.GetReply(within(s, 10*time.Second), client, textMsg{strings.Repeat("a", n)})
			if n <= 500 {
				require.NoError(s, err, n)
				assert.Equal(s, n, len(r.S))
			} else {
				require.Error(s, err, n)
				assert.NotErrorIs(s, err, context.DeadlineExceeded, n)
			}
		}
		r, err := ep.GetReply(within(s, 10*time.Second), client, textMsg{"ok"})
		require.NoError(s, err)
		assert.Equal(s, "ok", r.S)
		big, err := rpc.Serve(server, rpc.WellKnown(2), func(_ context.Context, b textMsg) (textMsg, error) {
			return textMsg{strings.Repeat("b", 5000)}, nil
		})
		require.NoError(s, err)
		_, err = big.GetReply(within(s, 10*time.Second), client, textMsg{"x"})
		require.ErrorIs(s, err, rpc.ErrReplyLost, "a reply too large to send fails the call at once, as handled")
		assert.Contains(s, err.Error(), "encode the reply")
	}, quiet...)
}

func TestZeroAndNegativeFailedFor(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		for _, d := range []time.Duration{0, -time.Second} {
			r, err := ep.GetReplyUnlessFailedFor(within(s, 10*time.Second), client, echoReq{3}, d)
			require.NoError(s, err, d)
			assert.Equal(s, 6, r.N)
		}
	}, quiet...)
}

func TestContextAlreadyDone(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		ctx, cancel := context.WithCancel(s.Context())
		cancel()
		_, err = ep.GetReply(ctx, client, echoReq{1})
		require.ErrorIs(s, err, context.Canceled)
		_, err = ep.TryGetReply(ctx, client, echoReq{1})
		require.ErrorIs(s, err, context.Canceled)
		r, err := ep.GetReply(within(s, 10*time.Second), client, echoReq{2})
		require.NoError(s, err)
		assert.Equal(s, 4, r.N)
	}, quiet...)
}

func TestReplyTwiceAndLate(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(3))
		require.NoError(s, err)
		ep := st.Endpoint()
		got := make(chan error, 1)
		s.Providers().Task.Go(s.Context(), "caller", func(ctx context.Context) error {
			_, err := ep.GetReply(within(s, time.Second), client, echoReq{1})
			got <- err
			return nil
		})
		r, err := st.Next(within(s, time.Second))
		require.NoError(s, err)
		s.Providers().Time.Sleep(s.Context(), 2*time.Second)
		require.ErrorIs(s, <-got, context.DeadlineExceeded)
		assert.NoError(s, r.Reply(echoResp{1}), "a late reply is not the server's error")
		assert.Error(s, r.Reply(echoResp{2}), "a second reply is refused")
		res, err := ep.TryGetReply(within(s, time.Second), client, echoReq{5})
		_ = res
		require.Error(s, err) // nobody is calling Next
	}, quiet...)
}

func TestReplyAboveRequesterMax(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{MaxPayload: 1000})
		require.NoError(s, err)
		big, err := rpc.Serve(server, rpc.WellKnown(2), func(_ context.Context, b textMsg) (textMsg, error) {
			return textMsg{strings.Repeat("b", 5000)}, nil
		})
		require.NoError(s, err)
		_, err = big.GetReply(within(s, 10*time.Second), client, textMsg{"x"})
		require.ErrorIs(s, err, rpc.ErrReplyLost, "the server knows the caller's bound from its hello, and sends no reply that would end the connection")
		assert.Contains(s, err.Error(), "accepts at most 1000 bytes of payload (its Config.MaxPayload)", "the error names the bound to raise")
		assert.Zero(s, client.Stats().Resent)
	}, quiet...)
}

// TestFailedForCountsFromTheRequest: an address failed through a
// partition that has healed, with no connection tried since, has not
// failed a GetReplyUnlessFailedFor made now; the reconnect answers it.
func TestFailedForCountsFromTheRequest(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{MaxBackoff: time.Second})
		require.NoError(s, err)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		_, err = ep.GetReply(within(s, 10*time.Second), client, echoReq{1})
		require.NoError(s, err)
		s.Network().Isolate("10.0.0.1")
		s.Sleep(time.Minute)
		require.Equal(s, rpc.Failed, client.Monitor().State(server.Addr()))
		s.Network().Heal()
		r, err := ep.GetReplyUnlessFailedFor(within(s, time.Minute), client, echoReq{2}, 5*time.Second)
		require.NoError(s, err, "the address failed before the request, which waited out no failure of its own")
		require.Equal(s, 4, r.N)
	}, quiet...)
}

// TestFailedForBeforeTheRequestWasSent: a GetReplyUnlessFailedFor whose
// address fails for its d before its request was ever written learns that
// it was not sent, and it never is: its server does not run it later.
func TestFailedForBeforeTheRequestWasSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		ran := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
			ran++
			return echoResp{r.N}, nil
		})
		require.NoError(s, err)
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		_, err = ep.GetReplyUnlessFailedFor(within(s, time.Minute), client, echoReq{1}, 2*time.Second)
		require.ErrorIs(s, err, rpc.ErrNotSent)
		require.ErrorIs(s, err, rpc.ErrBrokenPromise)
		assert.Contains(s, err.Error(), "the address has failed for 2s before the request was sent")
		s.Network().Heal()
		r, err := ep.GetReply(within(s, time.Minute), client, echoReq{2})
		require.NoError(s, err)
		assert.Equal(s, 2, r.N)
		assert.Equal(s, 1, ran, "the request that was not sent never runs")
	}, quiet...)
}

// A nil transport, a nil handler or a nil error is a mistake in the
// caller's code: each is refused with an error that names it and the fix,
// not a nil dereference in the transport or in a handler's task.
func TestNilsAreRefusedByName(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, client := newPair(s)
		ep := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1))
		const fix = "the transport is nil; pass the *Transport that NewTransport returned"
		_, err := rpc.Serve(nil, rpc.WellKnown(1), double)
		assert.ErrorContains(s, err, "rpc: Serve: "+fix)
		_, err = rpc.ServeStream[echoReq, echoResp](nil, rpc.WellKnown(1))
		assert.ErrorContains(s, err, "rpc: ServeStream: "+fix)
		_, err = ep.GetReply(ctx, nil, echoReq{})
		assert.ErrorContains(s, err, "rpc: GetReply: "+fix)
		_, err = ep.TryGetReply(ctx, nil, echoReq{})
		assert.ErrorContains(s, err, "rpc: TryGetReply: "+fix)
		_, err = ep.GetReplyUnlessFailedFor(ctx, nil, echoReq{}, time.Second)
		assert.ErrorContains(s, err, "rpc: GetReplyUnlessFailedFor: "+fix)
		assert.ErrorContains(s, ep.Send(ctx, nil, echoReq{}), "rpc: Send: "+fix)
		assert.PanicsWithError(s, "rpc: Unserve: "+fix+" (a nil one comes with an error)", func() { rpc.Unserve(nil, rpc.WellKnown(1)) })
		assert.PanicsWithValue(s, "rpc: NewToken with a nil Random; pass the Random of your Providers (p.Random)", func() { rpc.NewToken(nil) })

		_, err = rpc.Serve[echoReq, echoResp](server, rpc.WellKnown(1), nil)
		assert.ErrorContains(s, err, "rpc: serve wellknown/1: the handler is nil; pass the function that answers the requests, or read them with ServeStream")

		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(2))
		require.NoError(s, err)
		got := make(chan error, 1)
		s.Go("caller", func(ctx context.Context) error {
			_, err := st.Endpoint().GetReply(within(s, time.Second), client, echoReq{1})
			got <- err
			return nil
		})
		r, err := st.Next(within(s, time.Second))
		require.NoError(s, err)
		assert.EqualError(s, r.Fail(nil), "rpc: Request.Fail(nil): give the error the caller is to get, or answer with Reply")
		require.NoError(s, r.Reply(echoResp{7}), "a refused Fail leaves the request unanswered")
		s.Sleep(2 * time.Second)
		assert.NoError(s, <-got)
	}, quiet...)
}

// Next on a closed stream says whether the stream or its transport
// closed; both match ErrClosed.
func TestNextSaysWhatClosed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, _ := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.NoError(s, err)
		st.Close()
		_, err = st.Next(s.Context())
		require.ErrorIs(s, err, rpc.ErrClosed)
		assert.EqualError(s, err, "rpc: the stream of wellknown/1 was closed (Stream.Close or Unserve); its transport is open")

		st, err = rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(2))
		require.NoError(s, err)
		rpc.Unserve(server, rpc.WellKnown(2))
		_, err = st.Next(s.Context())
		assert.EqualError(s, err, "rpc: the stream of wellknown/2 was closed (Stream.Close or Unserve); its transport is open")

		st, err = rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(3))
		require.NoError(s, err)
		require.NoError(s, server.Close())
		_, err = st.Next(s.Context())
		assert.Equal(s, rpc.ErrClosed, err, "the transport closed")
	}, quiet...)
}
