package rpc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestAGivenUpRequestIsNeverSent: a call whose context ends while its
// request waits for a connect under way says ErrNotSent, and the request
// is taken out of the queue: when the connection comes up, its handler
// does not run. The next request on the connection is the first the
// server sees.
func TestAGivenUpRequestIsNeverSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1))

		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) // the connect hangs
		_, err = ep.TryGetReply(within(s, time.Second), client, echoReq{1})
		require.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		require.ErrorIs(s, err, context.DeadlineExceeded)
		_, err = ep.GetReply(within(s, time.Second), client, echoReq{2})
		require.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		s.Network().Heal()

		s.Go("server", func(ctx context.Context) error {
			for {
				r, err := st.Next(ctx)
				if err != nil {
					return nil
				}
				_ = r.Reply(echoResp{r.Req.N})
				if r.Req.N != 3 {
					s.Errorf("the server got request %d, which its caller was told was not sent", r.Req.N)
				}
			}
		})
		r, err := ep.TryGetReply(within(s, 10*time.Second), client, echoReq{3})
		require.NoError(s, err)
		assert.Equal(s, 3, r.N)
		s.Sleep(5 * time.Second) // room for a copy that should not come
	}, quiet...)
}

// TestAGivenUpRequestIsNeverSentOnLoopback: as above, on real TCP, where
// the connect is slow because a proxy waits before it passes the
// connection on (a SYN lost in a partition makes it so).
func TestAGivenUpRequestIsNeverSentOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
	require.NoError(t, err)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	release := make(chan struct{})
	proxied := make(chan struct{})
	go func() {
		defer close(proxied)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		select {
		case <-release:
		case <-ctx.Done():
			return
		}
		sc, err := net.Dial("tcp", server.Addr())
		if err != nil {
			return
		}
		defer sc.Close()
		go func() { _, _ = io.Copy(sc, c); sc.Close() }()
		_, _ = io.Copy(c, sc)
	}()

	client, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	ep := rpc.At[echoReq, echoResp](l.Addr().String(), rpc.WellKnown(1))
	cctx, ccancel := p.Time.WithTimeout(ctx, 200*time.Millisecond)
	_, err = ep.TryGetReply(cctx, client, echoReq{1})
	ccancel()
	require.ErrorIs(t, err, rpc.ErrNotSent, "%v", err)
	cctx, ccancel = p.Time.WithTimeout(ctx, 200*time.Millisecond)
	_, err = ep.GetReply(cctx, client, echoReq{2})
	ccancel()
	require.ErrorIs(t, err, rpc.ErrNotSent, "%v", err)
	close(release)

	got := make(chan int, 3)
	go func() {
		for {
			r, err := st.Next(ctx)
			if err != nil {
				close(got)
				return
			}
			got <- r.Req.N
			_ = r.Reply(echoResp{r.Req.N})
		}
	}()
	// Unreliable frames go out in the order queued: had the first
	// stayed queued, the server would read it before this one.
	r, err := ep.TryGetReply(ctx, client, echoReq{3})
	require.NoError(t, err)
	assert.Equal(t, 3, r.N)
	assert.Equal(t, 3, <-got, "the first request the server read")
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
	<-proxied
	for n := range got {
		assert.Equal(t, 3, n, "a request its caller was told was not sent")
	}
}

// TestCloseTellsWhatWasSent: a transport closed under waiting calls
// fails them with ErrClosed, and says which requests never went out
// (ErrNotSent) and which may have been delivered (ErrMaybeDelivered).
func TestCloseTellsWhatWasSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		_, err := rpc.Serve(server, rpc.WellKnown(2), func(ctx context.Context, r echoReq) (echoResp, error) {
			return echoResp{}, providers.Wait(ctx, s.Providers().Task) // never answers
		})
		require.NoError(s, err)
		sent := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(2))
		unsent := rpc.At[echoReq, echoResp]("10.0.0.3:4500", rpc.WellKnown(2))
		s.HostProviders("10.0.0.3")
		s.Network().Partition([]string{"10.0.0.3"}, []string{"10.0.0.2"}) // the connect hangs

		errs := make([]error, 4)
		calls := []func() error{
			func() error { _, err := sent.GetReply(s.Context(), client, echoReq{1}); return err },
			func() error { _, err := sent.TryGetReply(s.Context(), client, echoReq{1}); return err },
			func() error { _, err := unsent.GetReply(s.Context(), client, echoReq{1}); return err },
			func() error { _, err := unsent.TryGetReply(s.Context(), client, echoReq{1}); return err },
		}
		for i, call := range calls {
			s.Go("call", func(context.Context) error { errs[i] = call(); return nil })
		}
		s.Sleep(time.Second)
		require.NoError(s, client.Close())
		s.Sleep(time.Millisecond)
		for i, err := range errs {
			require.ErrorIs(s, err, rpc.ErrClosed, "call %d", i)
			require.ErrorIs(s, err, rpc.ErrMaybeDelivered, "call %d: %v", i, err)
			if i < 2 {
				assert.NotErrorIs(s, err, rpc.ErrNotSent, "call %d went out: %v", i, err)
			} else {
				assert.ErrorIs(s, err, rpc.ErrNotSent, "call %d never went out: %v", i, err)
			}
		}
		assert.Equal(s, "rpc: GetReply to wellknown/2 at 10.0.0.3:4500: the transport was closed before the request was sent: rpc: the transport is closed", errs[2].Error())
		assert.Equal(s, "rpc: GetReply to wellknown/2 at 10.0.0.1:4500: the transport was closed after the request was sent, before its reply: rpc: the transport is closed", errs[0].Error())
	}, quiet...)
}

// TestErrorsOfRequestsNeverSentMatchErrNotSent: a request refused before
// it left the process (a full queue, a request that does not encode or is
// too large, a closed transport) matches ErrNotSent, the test a retry
// classifier makes, as well as its own error.
func TestErrorsOfRequestsNeverSentMatchErrNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		client, ep := toNowhere(s, rpc.Config{MaxQueued: 1})
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"}) // the connect hangs
		s.Go("first", func(context.Context) error {
			_, _ = ep.GetReply(within(s, 10*time.Second), client, echoReq{1})
			return nil
		})
		s.Sleep(time.Millisecond)
		_, err := ep.GetReply(s.Context(), client, echoReq{2})
		require.ErrorIs(s, err, rpc.ErrQueueFull)
		assert.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		assert.ErrorIs(s, err, rpc.ErrMaybeDelivered, "ErrNotSent refines it")

		_, err = rpc.At[func(), echoResp](ep.Addr, ep.Token).GetReply(s.Context(), client, func() {})
		require.ErrorContains(s, err, "encode the request: json: unsupported type: func()")
		assert.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		_, err = rpc.At[[]byte, echoResp](ep.Addr, ep.Token).TryGetReply(s.Context(), client, make([]byte, rpc.DefaultMaxPayload))
		require.ErrorContains(s, err, "more than the maximum")
		assert.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		err = rpc.At[func(), echoResp](ep.Addr, ep.Token).Send(s.Context(), client, func() {})
		assert.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)

		require.NoError(s, client.Close())
		for _, call := range []func() error{
			func() error { _, err := ep.GetReply(s.Context(), client, echoReq{3}); return err },
			func() error { _, err := ep.TryGetReply(s.Context(), client, echoReq{3}); return err },
			func() error { return ep.Send(s.Context(), client, echoReq{3}) },
		} {
			err := call()
			require.ErrorIs(s, err, rpc.ErrClosed)
			assert.ErrorIs(s, err, rpc.ErrNotSent, "%v", err)
		}
	}, quiet...)
}

// TestErrorsOfRequestsNeverSentMatchErrNotSentOnLoopback: as above, on
// real TCP, with a peer that refuses connections.
func TestErrorsOfRequestsNeverSentMatchErrNotSentOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	client, err := rpc.NewTransport(ctx, p, rpc.Config{MaxQueued: 1})
	require.NoError(t, err)
	ep := rpc.At[echoReq, echoResp](restartableAddr(t), rpc.WellKnown(1)) // nothing listens
	firstCtx, stopFirst := context.WithCancel(ctx)
	first := make(chan error, 1)
	go func() {
		for {
			// The probes below may hold the one place for a moment.
			if _, err := ep.GetReply(firstCtx, client, echoReq{1}); !errors.Is(err, rpc.ErrQueueFull) {
				first <- err
				return
			}
		}
	}()
	// A call whose context ends while it waits takes its request out of
	// the queue, unless the queue is full: the first call is queued then.
	done, stop := context.WithCancel(ctx)
	stop()
	_, err = ep.GetReply(done, client, echoReq{2})
	require.ErrorIs(t, err, rpc.ErrNotSent, "a context ended already: nothing is queued")
	for ctx.Err() == nil {
		brief, stop := context.WithTimeout(ctx, 10*time.Millisecond)
		_, err = ep.GetReply(brief, client, echoReq{2})
		stop()
		if errors.Is(err, rpc.ErrQueueFull) {
			break
		}
		require.ErrorIs(t, err, rpc.ErrNotSent)
	}
	assert.ErrorIs(t, err, rpc.ErrNotSent, "%v", err)
	stopFirst()
	require.ErrorIs(t, <-first, rpc.ErrNotSent)

	_, err = rpc.At[func(), echoResp](ep.Addr, ep.Token).GetReply(ctx, client, func() {})
	assert.ErrorIs(t, err, rpc.ErrNotSent, "%v", err)
	require.NoError(t, client.Close())
	_, err = ep.GetReply(ctx, client, echoReq{3})
	require.ErrorIs(t, err, rpc.ErrClosed)
	assert.ErrorIs(t, err, rpc.ErrNotSent, "%v", err)
}
