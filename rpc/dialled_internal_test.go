package rpc

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

// A connection a transport dialled carries the replies to its calls and
// nothing else: a message or a request that the server it dialled sends
// on it is answered as for a token not served, and no handler runs it,
// so that a handler's CallerOf never names a server this end chose to
// call (verified, over TLS, against RootCAs, not ClientCAs) as a caller.
func TestADialledConnectionCarriesNoRequests(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	server, err := NewTransport(ctx, p, Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	_, err = Serve(server, WellKnown(5), func(_ context.Context, n int) (int, error) { return n, nil })
	require.NoError(t, err)
	node, err := NewTransport(ctx, p, Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer node.Close()
	ran := make(chan Caller, 2)
	_, err = Serve(node, WellKnown(1), func(ctx context.Context, n int) (int, error) {
		c, _ := CallerOf(ctx)
		ran <- c
		return n, nil
	})
	require.NoError(t, err)
	_, err = At[int, int](server.Addr(), WellKnown(5)).GetReply(ctx, node, 1)
	require.NoError(t, err)

	// The server sends on the connection the node dialled, as a peer's
	// code could: a message, then a request.
	server.mu.Lock()
	var in *conn
	for _, c := range server.inbound {
		in = c
	}
	server.mu.Unlock()
	require.NotNil(t, in)
	msg, err := server.cfg.Codec.Append([]byte{kindSend}, 2)
	require.NoError(t, err)
	in.queueFrame(WellKnown(1), msg)
	req := append([]byte{kindRequest}, make([]byte, 16)...)
	req, err = server.cfg.Codec.Append(req, 3)
	require.NoError(t, err)
	in.queueFrame(WellKnown(1), req)
	for node.Stats().NotFound < 2 {
		require.NoError(t, ctx.Err(), "the node did not answer the frames sent on the connection it dialled")
		time.Sleep(time.Millisecond)
	}
	select {
	case c := <-ran:
		t.Fatalf("the node ran a request that came on a connection it dialled, from %s", c.RemoteAddr)
	default:
	}

	// Its own endpoint still serves callers that dial it.
	got, err := At[int, int](node.Addr(), WellKnown(1)).GetReply(ctx, server, 4)
	require.NoError(t, err)
	require.Equal(t, 4, got)
	require.Len(t, ran, 1)
}
