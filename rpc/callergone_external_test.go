package rpc_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// serveWaiters serves at WellKnown(1) on server a handler that waits for
// its context to end, notes its cause in ended under the request's N,
// and replies all the same: a reply to a gone caller goes nowhere.
func serveWaiters(s *simtest.S, server *rpc.Transport) (rpc.Endpoint[echoReq, echoResp], map[int]error) {
	ended := map[int]error{}
	ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
		_ = providers.Wait(ctx, server.Providers().Task)
		ended[r.N] = context.Cause(ctx)
		return echoResp{r.N}, nil
	})
	require.NoError(s, err)
	return ep, ended
}

// TestAHandlersContextEndsWhenItsCallerIsGone: a handler that waits on
// its context returns when its caller is gone, whichever way it goes, and
// context.Cause says why; the handler of a caller whose connection lives
// on is not cancelled; and the reply of a handler whose caller is gone
// fails nothing.
func TestAHandlersContextEndsWhenItsCallerIsGone(t *testing.T) {
	ways := []struct {
		name   string
		goAway func(s *simtest.S, c *simtest.Cluster, tr *rpc.Transport)
		why    string // in the cause's message
	}{
		{"its host crashes", func(_ *simtest.S, c *simtest.Cluster, _ *rpc.Transport) {
			c.Stop("caller-0", simtest.Crash)
		}, "EOF"},
		{"its connection breaks", func(s *simtest.S, _ *simtest.Cluster, _ *rpc.Transport) {
			s.Network().Isolate("caller-0") // the server ends the silent connection
		}, "nothing arrived from caller-0"},
		{"its transport closes", func(s *simtest.S, _ *simtest.Cluster, tr *rpc.Transport) {
			require.NoError(s, tr.Close())
		}, "EOF"},
	}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				server, client := newPair(s)
				ep, ended := serveWaiters(s, server)
				var callerTr *rpc.Transport
				c := s.Boot(simtest.Processes{Name: "caller", New: func() simtest.Process {
					return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
						tr, err := rpc.NewTransport(ctx, p, rpc.Config{})
						if err != nil {
							return err
						}
						callerTr = tr
						_, _ = ep.GetReply(ctx, tr, echoReq{N: 1}) // ends as its caller goes
						return providers.Wait(ctx, p.Task)
					})
				}})
				live := s.Go("live", func(ctx context.Context) error {
					_, err := ep.GetReply(ctx, client, echoReq{N: 2})
					return err
				})
				s.Sleep(time.Second)
				require.Empty(s, ended, "both handlers wait")
				way.goAway(s, c, callerTr)
				s.Sleep(10 * time.Second) // past PingTimeout

				require.Contains(s, ended, 1, "the handler of the caller that went returned")
				assert.ErrorIs(s, ended[1], rpc.ErrCallerGone)
				assert.Contains(s, ended[1].Error(), way.why)
				assert.NotContains(s, ended, 2, "the handler of the live caller still waits")
				assert.Zero(s, server.Stats().Resent)

				// The live caller goes too, by closing its transport.
				require.NoError(s, client.Close())
				require.ErrorIs(s, live.Join(s.Context()), rpc.ErrClosed)
				s.Sleep(time.Second)
				require.Contains(s, ended, 2)
				assert.ErrorIs(s, ended[2], rpc.ErrCallerGone)
			}, quiet...)
		})
	}
}

// TestAResentRequestRunsUnderItsNewConnection: the first copy of a
// request whose connection broke has its context end with it; the copy
// GetReply resends on the next connection runs under that one, and its
// reply is the caller's.
func TestAResentRequestRunsUnderItsNewConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		var causes []error
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			if len(causes) == 0 { // the first copy waits
				causes = append(causes, providers.Wait(ctx, server.Providers().Task))
				causes = append(causes, context.Cause(ctx))
				return echoResp{}, ctx.Err()
			}
			return echoResp{r.N}, nil
		})
		require.NoError(s, err)
		call := s.Go("call", func(ctx context.Context) error {
			r, err := ep.GetReply(ctx, client, echoReq{N: 7})
			if err == nil && r.N != 7 {
				err = errors.New("a wrong reply")
			}
			return err
		})
		s.Sleep(time.Second)
		s.Network().Isolate("10.0.0.1")
		s.Sleep(8 * time.Second) // past PingTimeout: the connection ends
		require.Len(s, causes, 2, "the first copy returned as its connection ended")
		assert.ErrorIs(s, causes[0], context.Canceled)
		assert.ErrorIs(s, causes[1], rpc.ErrCallerGone)
		s.Network().Heal()
		require.NoError(s, call.Join(s.Context()))
		assert.Equal(s, uint64(1), client.Stats().Resent)
	}, quiet...)
}

// TestAStreamsRequestContextEndsWhenItsCallerIsGone: a request read from a
// stream has a context that carries its caller and ends as its caller
// goes, so that a reader holding it can drop it; answering it then fails
// nothing.
func TestAStreamsRequestContextEndsWhenItsCallerIsGone(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.NoError(s, err)
		call := s.Go("call", func(ctx context.Context) error {
			_, err := st.Endpoint().GetReply(ctx, client, echoReq{N: 1})
			return err
		})
		r, err := st.Next(within(s, time.Minute))
		require.NoError(s, err)
		rctx := r.Context()
		caller, ok := rpc.CallerOf(rctx)
		require.True(s, ok)
		assert.Equal(s, r.Caller(), caller)
		require.NoError(s, rctx.Err(), "the caller waits")

		require.NoError(s, client.Close())
		require.ErrorIs(s, call.Join(s.Context()), rpc.ErrClosed)
		require.ErrorIs(s, providers.Wait(within(s, time.Second), server.Providers().Task), context.DeadlineExceeded)
		require.ErrorIs(s, rctx.Err(), context.Canceled, "its caller is gone")
		assert.ErrorIs(s, context.Cause(rctx), rpc.ErrCallerGone)
		assert.NoError(s, r.Reply(echoResp{1}), "a reply to a gone caller is no error")
	}, quiet...)
}

// TestASendsHandlerOutlivesItsConnection: a Send's handler, which no
// caller waits on, is not cancelled when the connection the message came
// on ends, only when its transport closes.
func TestASendsHandlerOutlivesItsConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		var cause error
		returned := false
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, _ echoReq) (echoResp, error) {
			_ = providers.Wait(ctx, server.Providers().Task)
			cause, returned = context.Cause(ctx), true
			return echoResp{}, nil
		})
		require.NoError(s, err)
		require.NoError(s, ep.Send(s.Context(), client, echoReq{}))
		s.Sleep(time.Second)
		require.NoError(s, client.Close())
		s.Sleep(time.Second)
		assert.False(s, returned, "the handler works on after its sender's connection ended")
		require.NoError(s, server.Close())
		s.Sleep(time.Second)
		require.True(s, returned, "the server's transport closed")
		assert.ErrorIs(s, cause, context.Canceled)
	}, quiet...)
}

// TestAHandlersContextEndsWhenItsCallerIsGoneOnLoopback: as in a
// simulation, over real TCP: a handler blocked on <-ctx.Done() returns
// when its caller's connection is reset, and when its caller's transport
// closes, with a cause that says so; the handler of a live caller waits
// on.
func TestAHandlersContextEndsWhenItsCallerIsGoneOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := realProviders()
	server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	started := make(chan int, 3)
	ended := make(chan error, 3)
	ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
		started <- r.N
		<-ctx.Done()
		ended <- context.Cause(ctx)
		return echoResp{r.N}, nil
	})
	require.NoError(t, err)

	// The caller whose connection breaks dials through a network that
	// keeps its connections, to reset one.
	conns := &keptConns{Network: p.Network}
	bp := p
	bp.Network = conns
	breaks, err := rpc.NewTransport(ctx, bp, rpc.Config{})
	require.NoError(t, err)
	closes, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	live, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	calls := make(chan error, 3)
	for i, tr := range []*rpc.Transport{breaks, closes, live} {
		go func() {
			_, err := ep.TryGetReply(ctx, tr, echoReq{N: i})
			calls <- err
		}()
	}
	for range 3 {
		recvWithin(t, started)
	}

	conns.reset(t)
	cause := recvWithin(t, ended)
	require.ErrorIs(t, cause, rpc.ErrCallerGone)
	assert.Contains(t, cause.Error(), "reset")
	require.ErrorIs(t, recvWithin(t, calls), rpc.ErrMaybeDelivered, "TryGetReply: its connection ended")

	require.NoError(t, closes.Close())
	cause = recvWithin(t, ended)
	require.ErrorIs(t, cause, rpc.ErrCallerGone)
	assert.Contains(t, cause.Error(), "EOF")
	require.ErrorIs(t, recvWithin(t, calls), rpc.ErrClosed)

	select {
	case cause := <-ended:
		t.Fatalf("the live caller's handler returned: %v", cause)
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, server.Close())
	require.ErrorIs(t, recvWithin(t, ended), rpc.ErrClosed, "the server closed: its handlers' contexts end too")
	require.ErrorIs(t, recvWithin(t, calls), rpc.ErrMaybeDelivered, "TryGetReply: its connection ended")
	require.NoError(t, live.Close())
	require.NoError(t, breaks.Close())
}

// recvWithin receives from ch, failing the test if nothing comes within
// 10 seconds.
func recvWithin[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came within 10s")
	}
	var zero T
	return zero
}

// keptConns is a Network that keeps the connections it dials.
type keptConns struct {
	providers.Network
	mu    sync.Mutex
	conns []net.Conn
}

func (n *keptConns) Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := n.Network.Dial(ctx, addr)
	if err == nil {
		n.mu.Lock()
		n.conns = append(n.conns, c)
		n.mu.Unlock()
	}
	return c, err
}

// reset resets the connections dialled so far: the far end reads a reset.
func (n *keptConns) reset(t *testing.T) {
	n.mu.Lock()
	defer n.mu.Unlock()
	require.NotEmpty(t, n.conns)
	for _, c := range n.conns {
		tc, ok := c.(*net.TCPConn)
		require.True(t, ok, "a %T", c)
		require.NoError(t, tc.SetLinger(0))
		require.NoError(t, tc.Close())
	}
}
