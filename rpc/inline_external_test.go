package rpc_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// In a simulation a handler runs in its connection's reader until it
// blocks. A handler that waits for another request on the same
// connection still gets it: the reading moved on when the handler parked.
func TestHandlerWaitsForAnotherRequestOnItsConnection(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ctx := within(s, time.Minute)
		signal := providers.NewChan[int](s.Providers().Task, 0)
		wait, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			n, _, err := signal.Recv(ctx)
			return echoResp{r.N + n}, err
		})
		require.NoError(s, err)
		poke, err := rpc.Serve(server, rpc.WellKnown(2), func(ctx context.Context, r echoReq) (echoResp, error) {
			return echoResp{r.N}, signal.Send(ctx, r.N)
		})
		require.NoError(s, err)
		got := providers.NewChan[echoResp](s.Providers().Task, 1)
		s.Go("waiter", func(context.Context) error {
			resp, err := wait.GetReply(ctx, client, echoReq{N: 1})
			got.TrySend(resp)
			return err
		})
		s.Sleep(10 * time.Millisecond) // the waiter's handler is parked
		resp, err := poke.GetReply(ctx, client, echoReq{N: 40})
		require.NoError(s, err)
		assert.Equal(s, echoResp{40}, resp)
		resp, _, err = got.Recv(ctx)
		require.NoError(s, err)
		assert.Equal(s, echoResp{41}, resp)
	}, quiet...)
}

// Handlers that never return hold no connection up: later requests on
// it are answered, and closing the server's transport returns while
// they still wait; their callers learn that the server went away.
func TestBlockedHandlersLeaveTheConnectionServed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ctx := within(s, time.Minute)
		task := s.Providers().Task
		block, err := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (echoResp, error) {
			return echoResp{}, providers.Wait(context.Background(), task) // never
		})
		require.NoError(s, err)
		dbl, err := rpc.Serve(server, rpc.WellKnown(2), double)
		require.NoError(s, err)
		errs := providers.NewChan[error](task, 3)
		for i := range 3 {
			s.Go("blocked caller", func(context.Context) error {
				_, err := block.TryGetReply(ctx, client, echoReq{N: i})
				errs.TrySend(err)
				return nil
			})
		}
		s.Sleep(10 * time.Millisecond)
		for i := range 5 {
			resp, err := dbl.GetReply(ctx, client, echoReq{N: i})
			require.NoError(s, err)
			assert.Equal(s, echoResp{2 * i}, resp)
		}
		require.NoError(s, server.Close())
		for range 3 {
			err, _, _ := errs.Recv(ctx)
			assert.True(s, errors.Is(err, rpc.ErrMaybeDelivered), "a blocked call after the server closed: %v", err)
		}
	}, quiet...)
}

// A caller that made a call reads the reply of its next call itself, on
// the same connection; its context still ends the wait, and the calls
// after it, its own and others', are answered.
func TestCallerReadingItsReplyStopsWithItsContext(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ctx := within(s, time.Minute)
		task := s.Providers().Task
		block, dbl := serveBlockAndDouble(s, server)
		for i := range 3 {
			_, err := dbl.GetReply(ctx, client, echoReq{N: i})
			require.NoError(s, err)
			short := within(s, 100*time.Millisecond)
			_, err = block.GetReply(short, client, echoReq{})
			require.ErrorIs(s, err, context.DeadlineExceeded)
		}
		other := providers.NewChan[echoResp](task, 1)
		s.Go("other", func(context.Context) error {
			resp, err := dbl.GetReply(ctx, client, echoReq{N: 21})
			other.TrySend(resp)
			return err
		})
		resp, err := dbl.GetReply(ctx, client, echoReq{N: 5})
		require.NoError(s, err)
		assert.Equal(s, echoResp{10}, resp)
		resp, _, err = other.Recv(ctx)
		require.NoError(s, err)
		assert.Equal(s, echoResp{42}, resp)
		assert.Zero(s, client.Stats().Disconnects, "a context that ends leaves the connection up")
	}, quiet...)
}

// A caller that reads for its reply learns of its transport's Close.
func TestCallerReadingItsReplyLearnsOfClose(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ctx := within(s, time.Minute)
		task := s.Providers().Task
		block, dbl := serveBlockAndDouble(s, server)
		done := providers.NewChan[error](task, 1)
		s.Go("caller", func(context.Context) error {
			_, err := dbl.GetReply(ctx, client, echoReq{N: 1}) // the reading is lent
			if err == nil {
				_, err = block.GetReply(ctx, client, echoReq{})
			}
			done.TrySend(err)
			return nil
		})
		s.Sleep(10 * time.Millisecond)
		require.NoError(s, client.Close())
		err, _, _ := done.Recv(ctx)
		require.ErrorIs(s, err, rpc.ErrClosed)
	}, quiet...)
}

// A process that crashes while its task reads for a reply on another
// process's transport takes the connection's reading with it: the
// connection falls silent, its liveness check ends it, and the calls of
// others go out again on the next one.
func TestCrashOfACallerThatReadsLeavesTheTransportWorking(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		block, dbl := serveBlockAndDouble(s, server)
		c := s.Boot(simtest.Processes{Name: "caller", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if _, err := dbl.GetReply(ctx, client, echoReq{N: 1}); err != nil { // lent the reading
					return err
				}
				_, err := block.GetReply(ctx, client, echoReq{}) // reads for its reply
				return err
			})
		}})
		s.Sleep(10 * time.Millisecond)
		c.Stop("caller-0", simtest.Crash)
		resp, err := dbl.GetReply(within(s, time.Minute), client, echoReq{N: 4})
		require.NoError(s, err)
		assert.Equal(s, echoResp{8}, resp)
		assert.Equal(s, uint64(1), client.Stats().Disconnects, "the silent connection was ended")
	}, quiet...)
}

// serveBlockAndDouble serves on server a handler that waits until its
// context ends, at WellKnown(1), and double, at WellKnown(2).
func serveBlockAndDouble(s *simtest.S, server *rpc.Transport) (block, dbl rpc.Endpoint[echoReq, echoResp]) {
	task := s.Providers().Task
	block, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, _ echoReq) (echoResp, error) {
		return echoResp{}, providers.Wait(ctx, task)
	})
	require.NoError(s, err)
	dbl, err = rpc.Serve(server, rpc.WellKnown(2), double)
	require.NoError(s, err)
	return block, dbl
}

// A handler that runs inline in its connection's reader is named for its
// endpoint, as one in a task of its own is, so that the timeline tells
// which endpoint did what: one request's handler after another on the same
// connection each carries its own name, and a handler that blocks keeps
// it after the reading has moved on.
func TestInlineHandlerIsNamedForItsEndpoint(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
				if err != nil {
					return err
				}
				if _, err := rpc.Serve(tr, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
					p.Logger.Info("read served")
					return echoResp{r.N}, nil
				}); err != nil {
					return err
				}
				if _, err := rpc.Serve(tr, rpc.WellKnown(2), func(ctx context.Context, r echoReq) (echoResp, error) {
					p.Logger.Info("write served")
					if err := p.Time.Sleep(ctx, time.Millisecond); err != nil { // the reading moves on
						return echoResp{}, err
					}
					p.Logger.Info("write served after a wait")
					return echoResp{r.N}, nil
				}); err != nil {
					return err
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		read := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1))
		write := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(2))
		ctx := within(s, time.Minute)
		for range 2 {
			_, err := read.GetReply(ctx, client, echoReq{N: 1})
			require.NoError(s, err)
			_, err = write.GetReply(ctx, client, echoReq{N: 2})
			require.NoError(s, err)
		}
		want := map[string]string{
			"read served":               "srv-0/rpc handler wellknown/1",
			"write served":              "srv-0/rpc handler wellknown/2",
			"write served after a wait": "srv-0/rpc handler wellknown/2",
		}
		seen := 0
		for _, e := range tl.Snapshot() {
			if task, ok := want[e.Msg]; ok {
				seen++
				assert.Equal(s, task, e.Task, "%s", e)
			}
		}
		assert.Equal(s, 6, seen)
	}, quiet...)
}

// A transport made with S.HostProviders' providers, as a client on a host
// of its own is, names its tasks and its handlers after that host, as a
// process's are named after the process: the timeline tells which host
// did what. Its connections' readers start and end quietly: a new one
// starts each time a handler run inline parks.
func TestATransportOnAHostOfItsOwnNamesItsTasksAfterIt(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		server, client := newPair(s)
		log := server.Providers().Logger
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
			log.Info("served")
			return echoResp{r.N}, nil
		})
		require.NoError(s, err)
		_, err = ep.GetReply(within(s, time.Minute), client, echoReq{N: 1})
		require.NoError(s, err)
		started := map[string]string{}
		served := map[string]string{}
		for _, e := range tl.Snapshot() {
			switch {
			case e.Name == "task started" && strings.Contains(e.Task, "rpc "):
				started[e.Task] = e.Process
			case e.Msg == "served":
				served[e.Task] = e.Process
			}
		}
		assert.Equal(s, map[string]string{"10.0.0.1/rpc handler wellknown/1": "10.0.0.1"}, served)
		for task, process := range started {
			host, _, _ := strings.Cut(task, "/")
			assert.Contains(s, []string{"10.0.0.1", "10.0.0.2"}, host, "%s is named after its host", task)
			assert.Equal(s, host, process, "%s", task)
		}
		assert.Contains(s, started, "10.0.0.2/rpc peer 10.0.0.1:4500")
		assert.Contains(s, started, "10.0.0.1/rpc inbound 10.0.0.2:49152")
		for task := range started {
			assert.NotContains(s, task, "rpc read", "a reader's start is not shown")
		}
	}, quiet...)
}

// A handler run inline that computes past the watchdog fails its seed as
// busy, named as the timeline names it, by the handler's name, not by
// that of its connection's reader, which starts quietly and which no line
// of the timeline shows. The watchdog waits a second, so that a loaded
// machine's slow setup step is not what it finds busy.
func TestABusyInlineHandlerIsReportedByItsHandlersName(t *testing.T) {
	var over atomic.Bool
	res := simtest.Simulate(func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(context.Context, echoReq) (echoResp, error) {
			for start := time.Now(); !over.Load() && time.Since(start) < time.Minute; {
			}
			return echoResp{}, nil
		})
		require.NoError(s, err)
		_, _ = ep.GetReply(within(s, time.Minute), client, echoReq{1})
	}, simtest.Seeds(1), simtest.Watchdog(time.Second))
	over.Store(true)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "busy at ")
	assert.Contains(t, res.Report, `in task "10.0.0.1/rpc handler wellknown/1": `, "the watchdog names the task as the timeline does, after its host")
	assert.NotContains(t, res.Report, "rpc read", res.Report)
}
