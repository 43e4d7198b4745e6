package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// checkUnserved calls a well-known endpoint before and after Unserve,
// and after it is served again: the call in between says that the token
// was unserved, not that a booting server should serve it sooner.
func checkUnserved(t require.TestingT, ctx context.Context, server, client *rpc.Transport) {
	ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
	require.NoError(t, err)
	_, err = ep.GetReply(ctx, client, echoReq{1})
	require.NoError(t, err)
	rpc.Unserve(server, rpc.WellKnown(1))
	_, err = ep.GetReply(ctx, client, echoReq{2})
	require.ErrorIs(t, err, rpc.ErrEndpointNotFound)
	assert.Contains(t, err.Error(), "its server stopped serving it (Unserve")
	assert.NotContains(t, err.Error(), "ServeGrace", "no advice for a booting server")

	_, err = rpc.Serve(server, rpc.WellKnown(1), double)
	require.NoError(t, err)
	r, err := ep.GetReply(ctx, client, echoReq{3})
	require.NoError(t, err)
	assert.Equal(t, 6, r.N)

	never := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(9))
	_, err = never.GetReply(ctx, client, echoReq{4})
	require.ErrorIs(t, err, rpc.ErrEndpointNotFound)
	assert.Contains(t, err.Error(), "nothing serves the token there yet", "never served: the booting server's advice")
}

func TestAnUnservedTokenSaysSo(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		s.Sleep(rpc.DefaultServeGrace) // past it, a token not served is answered at once
		checkUnserved(s, within(s, 10*time.Second), server, client)
	}, quiet...)
}

func TestAnUnservedTokenSaysSoOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0", ServeGrace: time.Millisecond})
	require.NoError(t, err)
	defer server.Close()
	client, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	defer client.Close()
	time.Sleep(10 * time.Millisecond) // past the grace
	checkUnserved(t, ctx, server, client)
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
}
