package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

// TestRealLoopback runs the transport over providers.Real() on loopback
// TCP: requests both ways, a restart of one side with a request waiting
// through it (answered, even when it arrives between the restarted
// side's NewTransport and its Serve), broken promises, and a clean Close.
func TestRealLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler) // the panic below is logged
	cfg := rpc.Config{Listen: "127.0.0.1:0", InitialBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}

	a, err := rpc.NewTransport(ctx, p, cfg)
	require.NoError(t, err)
	defer a.Close()
	bcfg := cfg
	bcfg.Listen = restartableAddr(t) // b restarts on it
	b, err := rpc.NewTransport(ctx, p, bcfg)
	require.NoError(t, err)

	serveB := func(b *rpc.Transport) rpc.Endpoint[echoReq, echoResp] {
		ep, err := rpc.Serve(b, rpc.WellKnown(1), double)
		require.NoError(t, err)
		_, err = rpc.Serve(b, rpc.WellKnown(2), func(_ context.Context, r echoReq) (echoResp, error) {
			if r.N == 0 {
				panic("boom")
			}
			return echoResp{}, rpc.ErrBrokenPromise
		})
		require.NoError(t, err)
		return ep
	}
	toB := serveB(b)
	toA, err := rpc.Serve(a, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
		return echoResp{r.N + 1}, nil
	})
	require.NoError(t, err)

	for i := range 100 {
		r, err := toB.GetReply(ctx, a, echoReq{i})
		require.NoError(t, err)
		require.Equal(t, 2*i, r.N)
		r, err = toA.TryGetReply(ctx, b, echoReq{i})
		require.NoError(t, err)
		require.Equal(t, i+1, r.N)
	}

	broken := rpc.At[echoReq, echoResp](b.Addr(), rpc.WellKnown(2))
	_, err = broken.GetReply(ctx, a, echoReq{1})
	require.ErrorIs(t, err, rpc.ErrBrokenPromise)
	_, err = broken.TryGetReply(ctx, a, echoReq{0})
	require.ErrorIs(t, err, rpc.ErrBrokenPromise, "a panicking handler breaks its promise")

	// Restart b on the same address; a's request waits through it.
	addr := b.Addr()
	require.NoError(t, b.Close())
	waited := make(chan error, 1)
	go func() {
		r, err := toB.GetReply(ctx, a, echoReq{21})
		if err == nil && r.N != 42 {
			err = errors.New("a wrong reply")
		}
		waited <- err
	}()
	time.Sleep(50 * time.Millisecond)
	b, err = rpc.NewTransport(ctx, p, rpc.Config{Listen: addr})
	require.NoError(t, err)
	defer b.Close()
	serveB(b)
	require.NoError(t, <-waited, "GetReply is answered by the restarted side")
	r, err := toA.GetReply(ctx, b, echoReq{1})
	require.NoError(t, err)
	assert.Equal(t, 2, r.N)
	assert.Equal(t, rpc.Available, a.Monitor().State(addr))
	require.NoError(t, b.Close())
	require.NoError(t, a.Close())
}

// TestRealConcurrent makes round trips from many goroutines at once over
// loopback TCP, in every mode, while the server restarts: every GetReply
// gets its own answer, a TryGetReply at most learns that its connection
// ended, and -race sees the transport's locking.
func TestRealConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := providers.Real()
	p.Logger = slog.New(slog.DiscardHandler)
	cfg := rpc.Config{Listen: restartableAddr(t), InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	server, err := rpc.NewTransport(ctx, p, cfg)
	require.NoError(t, err)
	addr := server.Addr()
	ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
	require.NoError(t, err)
	client, err := rpc.NewTransport(ctx, p, rpc.Config{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	require.NoError(t, err)
	defer client.Close()

	const workers, calls = 8, 200
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range calls {
				n := w*calls + i
				var r echoResp
				var err error
				switch i % 3 {
				case 0:
					r, err = ep.GetReply(ctx, client, echoReq{n})
				case 1:
					r, err = ep.TryGetReply(ctx, client, echoReq{n})
					if errors.Is(err, rpc.ErrMaybeDelivered) {
						continue // the restart
					}
				default:
					if err := ep.Send(ctx, client, echoReq{n}); err != nil {
						errs <- err
						return
					}
					continue
				}
				// No ErrEndpointNotFound: the restarted server holds what
				// arrives before it serves again (Config.ServeGrace).
				if err != nil {
					errs <- err
					return
				}
				if r.N != 2*n {
					errs <- fmt.Errorf("request %d got the reply %d", n, r.N)
					return
				}
			}
			errs <- nil
		}()
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, server.Close())
	server, err = rpc.NewTransport(ctx, p, rpc.Config{Listen: addr})
	require.NoError(t, err)
	defer server.Close()
	_, err = rpc.Serve(server, rpc.WellKnown(1), double)
	require.NoError(t, err)
	for range workers {
		require.NoError(t, <-errs)
	}
}
