package rpc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestRequestsBeforeServeAreHeld sends to a transport that listens but
// does not serve yet, as a client does that redials a restarted server
// in the moment between its NewTransport and its Serve: the requests and
// messages are held, and handed to their endpoints once served, the
// messages of one connection in their order; nothing is answered "not
// found".
func TestRequestsBeforeServeAreHeld(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		toDouble := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1))
		toStream := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(2))

		getReply := s.Go("GetReply", func(ctx context.Context) error {
			r, err := toDouble.GetReply(ctx, client, echoReq{21})
			if err == nil && r.N != 42 {
				return assert.AnError
			}
			return err
		})
		tryGetReply := s.Go("TryGetReply", func(ctx context.Context) error {
			r, err := toDouble.TryGetReply(ctx, client, echoReq{4})
			if err == nil && r.N != 8 {
				return assert.AnError
			}
			return err
		})
		for i := range 3 {
			require.NoError(s, toStream.Send(ctx, client, echoReq{i}))
		}
		s.Sleep(100 * time.Millisecond) // everything has arrived; nothing serves
		require.Equal(s, uint64(1), server.Stats().Connects)

		_, err = rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(2))
		require.NoError(s, err)
		require.NoError(s, getReply.Join(ctx), "GetReply is answered by the endpoint served after it arrived")
		require.NoError(s, tryGetReply.Join(ctx), "so is TryGetReply")
		for i := range 3 {
			r, err := st.Next(within(s, time.Second))
			require.NoError(s, err)
			assert.Equal(s, i, r.Req.N, "held messages keep their order")
		}
		assert.Zero(s, server.Stats().NotFound)
	}, quiet...)
}

// TestRequestHeldPastTheGraceIsNotFound calls a well-known token that
// the server never serves, as it starts: the request is held through
// the serve grace, then answered ErrEndpointNotFound, with the error's
// advice.
func TestRequestHeldPastTheGraceIsNotFound(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		_, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		call := s.Go("caller", func(ctx context.Context) error {
			_, err := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(9)).GetReply(ctx, client, echoReq{})
			return err
		})
		s.Sleep(rpc.DefaultServeGrace / 2)
		assert.Zero(s, server.Stats().NotFound, "held: the token may yet be served")
		err = call.Join(s.Context())
		require.ErrorIs(s, err, rpc.ErrEndpointNotFound)
		assert.Contains(s, err.Error(), "serve it right after NewTransport")
		assert.Equal(s, uint64(1), server.Stats().NotFound)

		r, err := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(s.Context(), client, echoReq{2})
		require.NoError(s, err, "the served endpoint is answered all along")
		assert.Equal(s, 4, r.N)
	}, quiet...)
}

// TestServeGraceIsConfigured serves a well-known token three seconds
// after NewTransport, as a server does that reads its disk first: with
// the default grace of a second the caller is told the endpoint is not
// found; with Config.ServeGrace raised past the wait it is answered.
func TestServeGraceIsConfigured(t *testing.T) {
	for _, tc := range []struct {
		grace time.Duration
		found bool
	}{{0, false}, {5 * time.Second, true}} {
		t.Run(fmt.Sprint(tc.grace), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				ctx := s.Context()
				server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500", ServeGrace: tc.grace})
				require.NoError(s, err)
				client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{})
				require.NoError(s, err)
				call := s.Go("caller", func(ctx context.Context) error {
					r, err := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1)).GetReply(ctx, client, echoReq{21})
					if err == nil && r.N != 42 {
						return assert.AnError
					}
					return err
				})
				s.Sleep(3 * time.Second) // the server reads its disk
				_, err = rpc.Serve(server, rpc.WellKnown(1), double)
				require.NoError(s, err)
				err = call.Join(ctx)
				if !tc.found {
					require.ErrorIs(s, err, rpc.ErrEndpointNotFound)
					assert.Contains(s, err.Error(), "raise Config.ServeGrace")
					return
				}
				require.NoError(s, err)
				assert.Zero(s, server.Stats().NotFound)
			}, quiet...)
		})
	}
}
