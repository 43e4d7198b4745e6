package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestHandlerBreaksPromise(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (echoResp, error) {
			return echoResp{}, rpc.ErrBrokenPromise
		})
		require.NoError(s, err)
		_, err = ep.GetReply(s.Context(), client, echoReq{})
		require.ErrorIs(s, err, rpc.ErrBrokenPromise)
		assert.NotErrorIs(s, err, rpc.ErrMaybeDelivered, "the handler ran: the request was delivered")
		assert.Equal(s, "rpc: GetReply to wellknown/1 at 10.0.0.1:4500: rpc: broken promise: the server will never reply", err.Error())
	}, quiet...)
}

// A handler's panic breaks its promise, and the server lives on; in a
// simulation it fails the seed too, named for the endpoint and the line
// that panicked, where a log line would pass unseen.
func TestPanickingHandlerBreaksPromise(t *testing.T) {
	var first, second error
	var r echoResp
	res := simtest.Simulate(func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), divide)
		require.NoError(s, err)
		_, first = ep.TryGetReply(s.Context(), client, echoReq{0})
		r, second = ep.TryGetReply(s.Context(), client, echoReq{5})
	}, quiet...)
	require.ErrorIs(t, first, rpc.ErrBrokenPromise)
	require.NoError(t, second, "the server lives on")
	assert.Equal(t, 20, r.N)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `rpc handler wellknown/1 divide: promise_external_test\.go:\d+: rpc handler wellknown/1 divide panicked: runtime error: integer divide by zero; its caller gets ErrBrokenPromise\n`, res.Report)
	assert.Contains(t, res.Report, "rpc_test.divide\n", "the handler's frame")
	assert.NotContains(t, res.Report, "rpc.(*server", "the server's own frames are trimmed")
}

// A Send's request has no caller waiting for its promise: the failure
// of its handler's panic does not say one gets ErrBrokenPromise.
func TestPanickingHandlerOfASendFailsTheSeed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), divide)
		require.NoError(s, err)
		require.NoError(s, ep.Send(s.Context(), client, echoReq{0}))
		s.Sleep(time.Second)
	}, quiet...)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `rpc handler wellknown/1 divide panicked: runtime error: integer divide by zero; the request came by Send, which no caller waits on\n`, res.Report)
	assert.NotContains(t, res.Report, "ErrBrokenPromise")
}

// divide is a handler with a bug: it divides by the request.
func divide(_ context.Context, r echoReq) (echoResp, error) {
	return echoResp{100 / r.N}, nil
}

func TestStreamRequestsBrokenAndAnswered(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.NoError(s, err)
		ep := st.Endpoint()
		s.Go("server", func(ctx context.Context) error {
			for {
				r, err := st.Next(ctx)
				if err != nil {
					return nil
				}
				switch r.Req.N {
				case 0:
					r.Break()
				case 1:
					require.NoError(s, r.Fail(errors.New("one is not allowed")))
				case 2:
					// Kept, never answered, and the server stops reading.
					return nil
				default:
					require.NoError(s, r.Reply(echoResp{r.Req.N}))
					require.ErrorIs(s, r.Reply(echoResp{r.Req.N}), rpc.ErrAnswered)
				}
			}
		})
		ctx := s.Context()
		_, err = ep.GetReply(ctx, client, echoReq{0})
		assert.ErrorIs(s, err, rpc.ErrBrokenPromise)
		_, err = ep.GetReply(ctx, client, echoReq{1})
		var re *rpc.RemoteError
		assert.ErrorAs(s, err, &re)
		r, err := ep.GetReply(ctx, client, echoReq{3})
		require.NoError(s, err)
		assert.Equal(s, 3, r.N)

		kept := s.Go("kept", func(ctx context.Context) error {
			_, err := ep.GetReply(ctx, client, echoReq{2})
			return err
		})
		s.Sleep(time.Second)
		unread := s.Go("unread", func(ctx context.Context) error {
			_, err := ep.GetReply(ctx, client, echoReq{4})
			return err
		})
		s.Sleep(time.Second) // queued in the stream, never read
		st.Close()
		require.ErrorIs(s, unread.Join(ctx), rpc.ErrBrokenPromise, "Close breaks the requests not yet read")
		_, err = ep.TryGetReply(ctx, client, echoReq{5})
		require.ErrorIs(s, err, rpc.ErrEndpointNotFound, "after Close the token is not served")
		require.ErrorIs(s, kept.Join(within(s, time.Minute)), context.DeadlineExceeded,
			"a request read and never answered keeps its caller waiting: there are no finalizers")
		kept.Cancel()
	}, quiet...)
}

// TestKilledServerBreaksPromise kills the server while it holds a
// request: a TryGetReply learns that its request may have been delivered
// when the connection ends; a GetReplyUnlessFailedFor learns that the
// promise is broken once the address has failed for its duration; a
// GetReply waits, and is answered by the next incarnation.
func TestKilledServerBreaksPromise(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		block := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(2))
		dbl := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1))
		_, err = dbl.GetReply(s.Context(), client, echoReq{1}) // connected
		require.NoError(s, err)

		try := s.Go("try", func(ctx context.Context) error {
			_, err := block.TryGetReply(ctx, client, echoReq{})
			return err
		})
		unless := s.Go("unless", func(ctx context.Context) error {
			_, err := block.GetReplyUnlessFailedFor(ctx, client, echoReq{}, 2*time.Second)
			return err
		})
		s.Sleep(time.Second)
		killed := s.Now()
		c.Stop("srv-0", simtest.Crash)
		err = try.Join(s.Context())
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered)
		assert.NotErrorIs(s, err, rpc.ErrBrokenPromise)
		err = unless.Join(s.Context())
		require.ErrorIs(s, err, rpc.ErrBrokenPromise)
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered)
		assert.GreaterOrEqual(s, s.Now().Sub(killed), 2*time.Second, "it waited for the failure to last")
		assert.Equal(s, rpc.Failed, client.Monitor().State(addr))

		again := s.Go("again", func(ctx context.Context) error {
			r, err := dbl.GetReply(ctx, client, echoReq{21})
			if err == nil && r.N != 42 {
				err = errors.New("a wrong reply")
			}
			return err
		})
		s.Sleep(5 * time.Second)
		c.Start("srv-0")
		require.NoError(s, again.Join(s.Context()), "GetReply is answered by the next incarnation")
		assert.Equal(s, rpc.Available, client.Monitor().State(addr))
	}, quiet...)
}

// TestRestartBreaksWaitFailure restarts the server at once: the watch
// request that the old incarnation held is broken as soon as the client
// meets the new one, however short the outage.
func TestRestartBreaksWaitFailure(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		block := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(2))
		unless := s.Go("watch", func(ctx context.Context) error {
			_, err := block.GetReplyUnlessFailedFor(ctx, client, echoReq{}, time.Hour)
			return err
		})
		s.Sleep(time.Second)
		start := s.Now()
		c.Reboot("srv-0", simtest.Crash)
		err = unless.Join(s.Context())
		require.ErrorIs(s, err, rpc.ErrBrokenPromise)
		assert.ErrorContains(s, err, "restarted")
		assert.Less(s, s.Now().Sub(start), time.Minute)
	}, quiet...)
}

// TestGetReplyResentAfterReconnect cuts the connection while a request
// is unanswered: GetReply sends it again on the next connection, and the
// server sees it twice.
func TestGetReplyResentAfterReconnect(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		seen := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			seen++
			if seen == 1 {
				// Slow: the connection is cut meanwhile.
				if err := server.Providers().Time.Sleep(ctx, 10*time.Second); err != nil {
					return echoResp{}, err
				}
			}
			return echoResp{seen}, nil
		})
		require.NoError(s, err)
		got := s.Go("call", func(ctx context.Context) error {
			r, err := ep.GetReply(ctx, client, echoReq{})
			if err == nil && r.N != 2 {
				err = errors.New("the reply is not the second delivery's")
			}
			return err
		})
		s.Sleep(time.Second)
		s.Network().Isolate("10.0.0.1")
		s.Sleep(8 * time.Second) // past PingTimeout: the connection ends
		s.Network().Heal()
		require.NoError(s, got.Join(s.Context()))
		assert.Equal(s, 2, seen, "at least once: delivered again after the reconnect")
		assert.GreaterOrEqual(s, client.Stats().Disconnects, uint64(1))
	}, quiet...)
}

// TestTryGetReplyOnPartition: at most once; a connection lost to a
// partition gives ErrMaybeDelivered, and the handler ran once at most.
func TestTryGetReplyOnPartition(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		seen := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			seen++
			return echoResp{}, server.Providers().Time.Sleep(ctx, 10*time.Second)
		})
		require.NoError(s, err)
		got := s.Go("call", func(ctx context.Context) error {
			_, err := ep.TryGetReply(ctx, client, echoReq{})
			return err
		})
		s.Sleep(time.Second)
		s.Network().Isolate("10.0.0.1")
		err = got.Join(s.Context())
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered)
		assert.Contains(s, err.Error(), "rpc: TryGetReply to wellknown/1 at 10.0.0.1:4500: the connection ended before the reply (", "the method is named")
		s.Network().Heal()
		s.Sleep(20 * time.Second)
		assert.Equal(s, 1, seen)
	}, quiet...)
}

// TestQuietConnectionLives keeps a request unanswered for longer than
// PingTimeout, with a clog of three seconds in the middle: pings keep the
// connection, and the request, alive.
func TestQuietConnectionLives(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			return echoResp{r.N}, server.Providers().Time.Sleep(ctx, 20*time.Second)
		})
		require.NoError(s, err)
		got := s.Go("call", func(ctx context.Context) error {
			_, err := ep.TryGetReply(ctx, client, echoReq{})
			return err
		})
		s.Sleep(5 * time.Second)
		s.Network().Clog("10.0.0.1", "10.0.0.2", 3*time.Second)
		require.NoError(s, got.Join(s.Context()))
		assert.Equal(s, uint64(0), client.Stats().Disconnects)
		assert.Equal(s, uint64(1), client.Stats().Connects)
	}, quiet...)
}

func TestFailureMonitor(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		m := client.Monitor()
		assert.Equal(s, rpc.Unknown, m.State(addr))
		st, err := m.WaitChange(s.Context(), addr, rpc.Unknown)
		require.NoError(s, err)
		assert.Equal(s, rpc.Available, st)

		failed := s.Go("wait", func(ctx context.Context) error { return m.WaitFailedFor(ctx, addr, 3*time.Second) })
		c.Stop("srv-0", simtest.Crash)
		stopped := s.Now()
		st, err = m.WaitChange(s.Context(), addr, rpc.Available)
		require.NoError(s, err)
		assert.Equal(s, rpc.Failed, st)
		require.NoError(s, failed.Join(s.Context()))
		assert.GreaterOrEqual(s, s.Now().Sub(stopped), 3*time.Second)

		// Back within d: the wait goes on.
		short := s.Go("short", func(ctx context.Context) error {
			return m.WaitFailedFor(ctx, addr, time.Minute)
		})
		c.Start("srv-0")
		_, err = m.WaitChange(s.Context(), addr, rpc.Failed)
		require.NoError(s, err)
		s.Sleep(2 * time.Minute)
		short.Cancel()
		require.ErrorIs(s, short.Join(s.Context()), context.Canceled, "the address came back: no failure for a minute")
	}, quiet...)
}

func TestQueueFull(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{MaxQueued: 2})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1)) // nobody listens
		for range 2 {
			s.Go("waiting", func(ctx context.Context) error {
				_, err := ep.GetReply(ctx, client, echoReq{})
				return err
			})
		}
		s.Sleep(time.Second)
		_, err = ep.GetReply(s.Context(), client, echoReq{})
		require.ErrorIs(s, err, rpc.ErrQueueFull)
		assert.Contains(s, err.Error(), "rpc: GetReply to wellknown/1 at 10.0.0.1:4500: 2 requests wait for replies already")
	}, quiet...)
}

type badCodec struct{ rpc.JSONCodec }

func (badCodec) Append(dst []byte, v any) ([]byte, error) {
	if r, ok := v.(echoResp); ok && r.N < 0 {
		return dst, errors.New("negative")
	}
	if r, ok := v.(echoReq); ok && r.N < 0 {
		return dst, errors.New("negative")
	}
	return rpc.JSONCodec{}.Append(dst, v)
}

// TestCodecFails: a reply that does not encode, or is too large, is no
// refusal of the handler's: the handler ran, and the caller learns that
// its reply was lost (ErrReplyLost), not a RemoteError. A request that
// does not decode is refused before any handler runs, and says so.
func TestCodecFails(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500", Codec: badCodec{}})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{Codec: badCodec{}})
		require.NoError(s, err)
		ran := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
			ran++
			return echoResp{-r.N}, nil
		})
		require.NoError(s, err)
		_, err = ep.GetReply(ctx, client, echoReq{-1})
		require.ErrorContains(s, err, "encode the request: negative")
		_, err = ep.TryGetReply(ctx, client, echoReq{1})
		var re *rpc.RemoteError
		require.ErrorIs(s, err, rpc.ErrReplyLost)
		require.ErrorIs(s, err, rpc.ErrMaybeDelivered, "ErrReplyLost refines it")
		assert.NotErrorIs(s, err, rpc.ErrNotSent)
		assert.NotErrorIs(s, err, rpc.ErrBrokenPromise, "alone, a broken promise says the handler decided nothing")
		assert.False(s, errors.As(err, &re), "not the handler's refusal: %v", err)
		assert.Equal(s, "rpc: TryGetReply to wellknown/1 at 10.0.0.1:4500: the handler ran and replied, but its reply could not be sent: encode the reply: negative; what the handler did stands", err.Error())
		assert.Equal(s, 1, ran)

		bad := rpc.At[string, echoResp](server.Addr(), rpc.WellKnown(1)) // the server wants an echoReq
		_, err = bad.GetReply(ctx, client, "not an object")
		require.ErrorAs(s, err, &re, "refused, as a handler's no is: nothing ran")
		assert.Equal(s, "rpc: wellknown/1 at 10.0.0.1:4500 refused the request, which does not decode, so no handler ran (both ends must use the same Codec and message types): json: cannot unmarshal string into Go value of type rpc_test.echoReq", err.Error())
		assert.False(s, re.HandlerRan(), "code can tell that no handler ran")
		assert.Equal(s, 1, ran, "the handler did not run")

		huge, err := rpc.Serve(server, rpc.WellKnown(2), func(_ context.Context, r echoReq) ([]byte, error) {
			ran++
			return make([]byte, rpc.DefaultMaxPayload), nil
		})
		require.NoError(s, err)
		_, err = huge.GetReply(ctx, client, echoReq{1})
		require.ErrorIs(s, err, rpc.ErrReplyLost)
		assert.Contains(s, err.Error(), "the handler ran and replied, but its reply could not be sent: encode the reply: wire: a frame of ")
		assert.Equal(s, 2, ran)

		big := rpc.At[[]byte, echoResp](server.Addr(), rpc.WellKnown(1))
		_, err = big.GetReply(ctx, client, make([]byte, rpc.DefaultMaxPayload))
		require.ErrorContains(s, err, "more than the maximum")
	}, quiet...)
}

// TestWaitFailureDeterministic runs a WaitFailure over many seeds with
// the trace checked twice per seed.
func TestDeterminism(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		dbl := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1))
		wg := providers.NewWaitGroup(s.Providers().Task)
		for i := range 4 {
			wg.Go(s.Context(), "caller", func(ctx context.Context) error {
				for j := range 20 {
					_, _ = dbl.GetReply(ctx, client, echoReq{i*100 + j})
				}
				return nil
			})
		}
		s.Sleep(50 * time.Millisecond)
		c.Reboot("srv-0", simtest.Crash, simtest.DownFor(time.Second))
		require.NoError(s, wg.Wait(s.Context()))
	}, simtest.CheckDeterminism(), simtest.Seeds(10))
}

// errStopping is the cause a server's context ends with as it stops.
var errStopping = errors.New("the server stops")

// A handler that returns its context's error once the context ended (the
// transport closing under it, as its process stops) gave no answer: the
// caller gets a broken promise when the handler runs before the
// connections close, whether it returns the context's error or its cause,
// not a RemoteError that says the request was handled
// and refused. An error of the handler's own, such as a deadline of its
// own that passed, is still its answer.
func TestHandlerStoppedByItsContextBreaksPromise(t *testing.T) {
	broken := 0
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		ctx, stopWith := context.WithCancelCause(s.Context())
		stop := func() { stopWith(errStopping) }
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			if r.N == 0 {
				own, cancel := p.Time.WithTimeout(ctx, time.Millisecond)
				defer cancel()
				return echoResp{}, fmt.Errorf("apply: %w", providers.Wait(own, p.Task))
			}
			err := providers.Wait(ctx, p.Task)
			switch r.N {
			case 2:
				err = fmt.Errorf("apply: %w", err)
			case 3:
				err = context.Cause(ctx)
			}
			return echoResp{}, err
		})
		require.NoError(s, err)
		_, err = ep.GetReply(s.Context(), client, echoReq{0})
		var remote *rpc.RemoteError
		require.ErrorAs(s, err, &remote, "a deadline of the handler's own is its answer")
		assert.Contains(s, remote.Error(), "apply: context deadline exceeded")

		s.Go("stop", func(context.Context) error {
			s.Sleep(time.Second)
			stop()
			return nil
		})
		var calls []providers.Handle
		for _, n := range []int{1, 2, 3} {
			calls = append(calls, s.Go(fmt.Sprintf("call-%d", n), func(context.Context) error {
				// The reply, if any, comes at once: the connection is
				// closed, or the promise broken, as the server stops.
				_, err := ep.GetReply(within(s, 10*time.Second), client, echoReq{n})
				require.Error(s, err)
				assert.False(s, errors.As(err, &remote), "request %d: a RemoteError: %v", n, err)
				if errors.Is(err, rpc.ErrBrokenPromise) {
					broken++
				}
				return nil
			}))
		}
		for _, h := range calls {
			require.NoError(s, h.Join(s.Context()))
		}
	}, append(quiet, simtest.Seeds(40))...)
	assert.Positive(t, broken, "in some seeds a handler ran before the connections closed")
}
