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

// Over loopback TCP, messages keep arriving while those held for a
// stream not yet served are handed to it: the stream reads them all, in
// the order they were sent, those that arrived during the handover
// behind those held before it.
func TestRealHandoverKeepsTheOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	server, err := NewTransport(ctx, p, Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	client, err := NewTransport(ctx, p, Config{})
	require.NoError(t, err)
	defer client.Close()

	const n = 2000
	ep := At[int, int](server.Addr(), WellKnown(1))
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := ep.Send(ctx, client, i); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	held := func() int {
		server.mu.Lock()
		defer server.mu.Unlock()
		return len(server.held)
	}
	for held() == 0 {
		require.NoError(t, ctx.Err(), "nothing was held")
		time.Sleep(time.Millisecond)
	}
	st, err := ServeStream[int, int](server, WellKnown(1))
	require.NoError(t, err)
	for i := range n {
		r, err := st.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, i, r.Req, "the messages of one connection keep their order")
	}
	require.NoError(t, <-sent)
	require.Zero(t, server.Stats().NotFound)
	require.Zero(t, client.Stats().Dropped)
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
}
