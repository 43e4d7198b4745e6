package rpc_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// bigReply serves, at WellKnown(1), a handler that counts its runs and
// replies with 2 MiB: more than a default MaxPayload.
func bigReply(t require.TestingT, tr *rpc.Transport, ran *atomic.Int64) rpc.Endpoint[echoReq, []byte] {
	ep, err := rpc.Serve(tr, rpc.WellKnown(1), func(context.Context, echoReq) ([]byte, error) {
		ran.Add(1)
		return make([]byte, 2<<20), nil
	})
	require.NoError(t, err)
	return ep
}

// TestAReplyLargerThanTheCallerAcceptsFailsOnce: the ends tell each other
// their MaxPayload in the hello, so a server does not send a reply its
// caller would refuse (which ends the connection, and has GetReply resend
// the request on the next, again and again): the caller gets
// ErrReplyLost once, naming the bound to raise, and the handler ran once.
func TestAReplyLargerThanTheCallerAcceptsFailsOnce(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500", MaxPayload: 4 << 20})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		var ran atomic.Int64
		ep := bigReply(s, server, &ran)
		_, err = ep.GetReply(within(s, 10*time.Second), client, echoReq{1})
		require.ErrorIs(s, err, rpc.ErrReplyLost)
		assert.Regexp(s, `^rpc: GetReply to wellknown/1 at 10\.0\.0\.1:4500: the handler ran and replied, but its reply could not be sent: encode the reply: 10\.0\.0\.2:\d+ accepts at most 1048576 bytes of payload \(its Config\.MaxPayload\), less than this end's 4194304: wire: a frame of \d+ bytes`, err.Error())
		assert.Equal(s, int64(1), ran.Load(), "the handler ran once")
		st := client.Stats()
		assert.Zero(s, st.BadFrames)
		assert.Zero(s, st.Resent)
		assert.Zero(s, st.Disconnects)
	}, quiet...)
}

// TestARequestLargerThanTheServerAcceptsIsNotSent: a request larger than
// the server's MaxPayload fails once, as not sent, whether the client
// knew the server's bound when it encoded the request or learned it from
// the hello of the connection the request waited for.
func TestARequestLargerThanTheServerAcceptsIsNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client, ep, ran := smallServer(s)

		// Queued before the first connection: its hello tells.
		_, err := ep.GetReply(within(s, 10*time.Second), client, make([]byte, 2<<20))
		require.ErrorIs(s, err, rpc.ErrNotSent)
		assert.Regexp(s, `^rpc: GetReply to wellknown/1 at 10\.0\.0\.1:4500: the request is too large: 10\.0\.0\.1:4500 accepts at most 1048576 bytes of payload \(its Config\.MaxPayload\), less than this end's 4194304: wire: a frame of \d+ bytes`, err.Error())
		// Encoded once the bound is known.
		_, err = ep.GetReply(within(s, 10*time.Second), client, make([]byte, 2<<20))
		require.ErrorIs(s, err, rpc.ErrNotSent)
		assert.Contains(s, err.Error(), "encode the request: 10.0.0.1:4500 accepts at most 1048576 bytes of payload (its Config.MaxPayload), less than this end's 4194304: wire: a frame of ")
		r, err := ep.GetReply(within(s, 10*time.Second), client, []byte("ok"))
		require.NoError(s, err)
		assert.Equal(s, 2, r.N)
		assert.Equal(s, 1, *ran)
		assert.Zero(s, server.Stats().BadFrames)
	}, quiet...)
}

// TestAReplyLargerThanTheCallerAcceptsFailsOnceOnLoopback: as above, on
// real TCP.
func TestAReplyLargerThanTheCallerAcceptsFailsOnceOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0", MaxPayload: 4 << 20})
	require.NoError(t, err)
	defer server.Close()
	var ran atomic.Int64
	ep := bigReply(t, server, &ran)
	client, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	defer client.Close()
	_, err = ep.GetReply(ctx, client, echoReq{1})
	require.ErrorIs(t, err, rpc.ErrReplyLost)
	assert.Contains(t, err.Error(), "accepts at most 1048576 bytes of payload (its Config.MaxPayload)")
	assert.Equal(t, int64(1), ran.Load())
	assert.Zero(t, client.Stats().Resent)
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
}

// TestUnreliableFramesLargerThanTheServerAcceptsAreNotSent: a Send, or a
// TryGetReply, larger than the server's MaxPayload is not sent, whether
// its bound was known when it was encoded or it waited for the hello that
// told it: the server never sees a frame it would end the connection on,
// so the calls in flight on that connection go on.
func TestUnreliableFramesLargerThanTheServerAcceptsAreNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, client, ep, ran := smallServer(s)
		var err error
		big := make([]byte, 2<<20)

		// Queued before the first connection: a Send, then a TryGetReply.
		require.NoError(s, ep.Send(ctx, client, big), "queued unsent; the hello has not told the bound")
		_, err = ep.TryGetReply(within(s, 10*time.Second), client, big)
		require.ErrorIs(s, err, rpc.ErrNotSent)
		assert.Regexp(s, `^rpc: TryGetReply to wellknown/1 at 10\.0\.0\.1:4500: the request is too large: 10\.0\.0\.1:4500 accepts at most 1048576 bytes of payload`, err.Error())
		assert.Equal(s, uint64(1), client.Stats().Dropped, "the Send queued before the hello")

		// Encoded once the bound is known.
		err = ep.Send(ctx, client, big)
		require.ErrorIs(s, err, rpc.ErrNotSent)
		assert.Contains(s, err.Error(), "10.0.0.1:4500 accepts at most 1048576 bytes of payload (its Config.MaxPayload), less than this end's 4194304")
		_, err = ep.TryGetReply(within(s, 10*time.Second), client, big)
		require.ErrorIs(s, err, rpc.ErrNotSent)

		r, err := ep.TryGetReply(within(s, 10*time.Second), client, []byte("ok"))
		require.NoError(s, err)
		assert.Equal(s, 2, r.N)
		assert.Equal(s, 1, *ran)
		assert.Zero(s, server.Stats().BadFrames)
		assert.Zero(s, client.Stats().Disconnects)
	}, quiet...)
}

// smallServer starts a server that accepts the default MaxPayload, 1 MiB,
// with an endpoint that echoes a request's length and counts its runs in
// ran, and a client that accepts 4 MiB.
func smallServer(s *simtest.S) (server, client *rpc.Transport, ep rpc.Endpoint[[]byte, echoResp], ran *int) {
	server, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
	require.NoError(s, err)
	client, err = rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{MaxPayload: 4 << 20})
	require.NoError(s, err)
	ran = new(int)
	_, err = rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, b []byte) (echoResp, error) {
		*ran++
		return echoResp{len(b)}, nil
	})
	require.NoError(s, err)
	return server, client, rpc.At[[]byte, echoResp](server.Addr(), rpc.WellKnown(1)), ran
}
