package rpc_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

// TestHeardFromBetweenAFailedConnectAndItsBackoffOnLoopback: a connection
// from a peer's host that arrives after the peer's connect failed, and
// before its backoff's wait began, still has the peer dial again at once.
// On real goroutines the two run at the same time: the peer's task is
// held in that gap here (by its log of the failure) until the other side
// has called this one. Before, the connection found no peer backing off
// and woke none, and the peer then waited out its whole backoff (a
// minute here).
func TestHeardFromBetweenAFailedConnectAndItsBackoffOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// No one listens at bAddr yet: a's first connect to it is refused.
	bAddr := restartableAddr(t)
	gap := &gapHolder{failed: make(chan struct{}), release: make(chan struct{})}
	defer gap.open() // should the test end early
	pa := providers.Real()
	pa.Logger = slog.New(gap)
	backoff := time.Minute
	a, err := rpc.NewTransport(ctx, pa, rpc.Config{Listen: "127.0.0.1:0",
		InitialBackoff: backoff, MaxBackoff: backoff, MaxBackoffQueued: backoff})
	require.NoError(t, err)
	defer a.Close()
	atA, err := rpc.Serve(a, rpc.WellKnown(1), double)
	require.NoError(t, err)

	answered := make(chan error, 1)
	go func() {
		_, err := rpc.At[echoReq, echoResp](bAddr, rpc.WellKnown(1)).GetReply(ctx, a, echoReq{1})
		answered <- err
	}()
	select {
	case <-gap.failed:
	case <-ctx.Done():
		t.Fatal("a's connect to b never failed")
	}

	pb := providers.Real()
	pb.Logger = slog.New(slog.DiscardHandler)
	b, err := rpc.NewTransport(ctx, pb, rpc.Config{Listen: bAddr})
	require.NoError(t, err)
	defer b.Close()
	_, err = rpc.Serve(b, rpc.WellKnown(1), double)
	require.NoError(t, err)
	// Answered, so a has heard from b's host while its peer for bAddr
	// was held between its failed connect and its backoff.
	_, err = atA.GetReply(ctx, b, echoReq{2})
	require.NoError(t, err)
	gap.open()

	select {
	case err := <-answered:
		require.NoError(t, err, "the request to b was answered")
	case <-ctx.Done():
		t.Fatalf("the request to b still waits: its peer waits out a backoff of %v, though b's host called", backoff)
	}
	require.NoError(t, b.Close())
	require.NoError(t, a.Close())
}

// A gapHolder is a slog.Handler that holds the task that logs a failed
// connect, the first time, until release is closed, after closing failed.
type gapHolder struct {
	held, opened sync.Once
	failed       chan struct{}
	release      chan struct{}
}

func (h *gapHolder) open() { h.opened.Do(func() { close(h.release) }) }

func (*gapHolder) Enabled(context.Context, slog.Level) bool { return true }
func (h *gapHolder) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h *gapHolder) WithGroup(string) slog.Handler          { return h }

func (h *gapHolder) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "rpc: connect failed; redialing with backoff" {
		return nil
	}
	first := false
	h.held.Do(func() {
		close(h.failed)
		first = true
	})
	if first {
		<-h.release
	}
	return nil
}
