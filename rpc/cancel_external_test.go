package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// The ways of calling that wait for a reply, each as a function of the
// call's context.
var waitingCalls = []struct {
	name string
	call func(ctx context.Context, ep rpc.Endpoint[echoReq, echoResp], tr *rpc.Transport, r echoReq) error
}{
	{"GetReply", func(ctx context.Context, ep rpc.Endpoint[echoReq, echoResp], tr *rpc.Transport, r echoReq) error {
		_, err := ep.GetReply(ctx, tr, r)
		return err
	}},
	{"TryGetReply", func(ctx context.Context, ep rpc.Endpoint[echoReq, echoResp], tr *rpc.Transport, r echoReq) error {
		_, err := ep.TryGetReply(ctx, tr, r)
		return err
	}},
	{"GetReplyUnlessFailedFor", func(ctx context.Context, ep rpc.Endpoint[echoReq, echoResp], tr *rpc.Transport, r echoReq) error {
		_, err := ep.GetReplyUnlessFailedFor(ctx, tr, r, time.Minute)
		return err
	}},
}

// TestACallersCancelEndsItsHandler: a caller that cancels its context
// while its handler waits ends the handler's context, whichever way it
// called and whether or not its context has a deadline too, and
// context.Cause says why; the handler of another call on the same
// connection waits on; the cancelled handler's reply goes nowhere, not
// even as an orphan.
func TestACallersCancelEndsItsHandler(t *testing.T) {
	for _, way := range waitingCalls {
		for _, withDeadline := range []bool{false, true} {
			name := way.name
			if withDeadline {
				name += "/deadline"
			}
			t.Run(name, func(t *testing.T) {
				simtest.Run(t, func(s *simtest.S) {
					server, client := newPair(s)
					ep, ended := serveWaiters(s, server)
					ctx := s.Context()
					if withDeadline {
						ctx = within(s, time.Hour)
					}
					ctx, cancel := context.WithCancel(ctx)
					call := s.Go("call", func(context.Context) error { return way.call(ctx, ep, client, echoReq{N: 1}) })
					live := s.Go("live", func(ctx context.Context) error {
						_, err := ep.GetReply(within(s, time.Hour), client, echoReq{N: 2})
						return err
					})
					s.Sleep(time.Second)
					require.Empty(s, ended, "both handlers wait")

					cancel()
					require.ErrorIs(s, call.Join(s.Context()), context.Canceled)
					s.Sleep(100 * time.Millisecond)
					require.Contains(s, ended, 1, "the handler of the call cancelled returned")
					assert.ErrorIs(s, ended[1], rpc.ErrCallerCanceled)
					assert.Regexp(s, `^rpc: the caller canceled the request: the caller at 10\.0\.0\.2:\d+ gave up on it before its reply`, ended[1].Error())
					assert.NotContains(s, ended, 2, "the other call's handler waits on")
					s.Sleep(time.Second)
					assert.Zero(s, client.Stats().Orphans, "the cancelled handler's reply was not sent")
					assert.Zero(s, client.Stats().Disconnects, "one connection carried it all")

					require.NoError(s, client.Close())
					require.ErrorIs(s, live.Join(s.Context()), rpc.ErrClosed)
				}, quiet...)
			})
		}
	}
}

// TestACallersCancelReachesTheHandlersOwnContexts: the contexts a handler
// makes under its own (package context's, the Time provider's deadlines,
// values) end with it at its caller's cancel, with the same cause, as
// do those it makes after, and each has a deadline only where its caller
// or the handler set one.
func TestACallersCancelReachesTheHandlersOwnContexts(t *testing.T) {
	for _, withDeadline := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline=%v", withDeadline), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				server, client := newPair(s)
				type seen struct {
					name     string
					err      error
					cause    error
					deadline bool
				}
				var got []seen
				look := func(name string, ctx context.Context) {
					_, ok := ctx.Deadline()
					got = append(got, seen{name, ctx.Err(), context.Cause(ctx), ok})
				}
				ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
					pkg, stop := context.WithCancel(ctx)
					defer stop()
					timed, cancel := server.Providers().Time.WithTimeout(ctx, time.Minute)
					defer cancel()
					valued := context.WithValue(ctx, valueKey{}, 1)
					under, stopUnder := context.WithCancel(timed)
					defer stopUnder()
					_ = providers.Wait(under, server.Providers().Task)
					for _, c := range []struct {
						name string
						ctx  context.Context
					}{{"handler's", ctx}, {"context.WithCancel", pkg}, {"Time.WithTimeout", timed}, {"context.WithValue", valued}, {"context.WithCancel under Time.WithTimeout", under}} {
						look(c.name, c.ctx)
					}
					later, stopLater := context.WithCancel(ctx)
					defer stopLater()
					look("context.WithCancel after", later)
					after, cancelAfter := server.Providers().Time.WithTimeout(ctx, time.Minute)
					defer cancelAfter()
					look("Time.WithTimeout after", after)
					return echoResp{r.N}, nil
				})
				require.NoError(s, err)
				ctx := s.Context()
				if withDeadline {
					ctx = within(s, time.Hour)
				}
				ctx, cancel := context.WithCancel(ctx)
				call := s.Go("call", func(context.Context) error {
					_, err := ep.GetReply(ctx, client, echoReq{N: 1})
					return err
				})
				s.Sleep(time.Second)
				require.Empty(s, got, "the handler waits")
				cancel()
				require.ErrorIs(s, call.Join(s.Context()), context.Canceled)
				s.Sleep(100 * time.Millisecond)
				require.Len(s, got, 7, "the handler returned")
				for _, g := range got {
					assert.ErrorIs(s, g.err, context.Canceled, g.name)
					assert.ErrorIs(s, g.cause, rpc.ErrCallerCanceled, g.name)
					timed := strings.Contains(g.name, "Time.WithTimeout")
					assert.Equal(s, withDeadline || timed, g.deadline, "%s: a deadline where the caller gave one or Time.WithTimeout made one, and none else, as in production", g.name)
				}
			}, quiet...)
		})
	}
}

// TestAPassedDeadlineEndsTheHandlerWithoutACancel: a call whose deadline
// passes ends its handler's context at that deadline on the server's own
// clock, as the deadline travelled with the request: the cause is the
// deadline's, not a cancel's.
func TestAPassedDeadlineEndsTheHandlerWithoutACancel(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, ended := serveWaiters(s, server)
		_, err := ep.GetReply(within(s, 2*time.Second), client, echoReq{N: 1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		s.Sleep(100 * time.Millisecond)
		require.Contains(s, ended, 1)
		assert.ErrorIs(s, ended[1], context.DeadlineExceeded)
		assert.NotErrorIs(s, ended[1], rpc.ErrCallerCanceled)
	}, quiet...)
}

// TestACancelAfterTheReplyIsHarmless: a caller that cancels its context
// once its reply came changes nothing: the connection carries the next
// calls, and nothing is counted.
func TestACancelAfterTheReplyIsHarmless(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		for i := range 3 {
			ctx, cancel := context.WithCancel(s.Context())
			r, err := ep.GetReply(ctx, client, echoReq{N: i})
			require.NoError(s, err)
			assert.Equal(s, 2*i, r.N)
			cancel()
		}
		s.Sleep(time.Second)
		for _, tr := range []*rpc.Transport{server, client} {
			st := tr.Stats()
			assert.Zero(s, st.Orphans)
			assert.Zero(s, st.Disconnects)
			assert.Zero(s, st.BadFrames)
		}
	}, quiet...)
}

// TestAStreamsRequestContextEndsAtItsCallersCancel: a request read from
// a stream has its context end when its caller cancels, as a handler's
// does; answering it then fails nothing, and sends nothing.
func TestAStreamsRequestContextEndsAtItsCallersCancel(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		st, err := rpc.ServeStream[echoReq, echoResp](server, rpc.WellKnown(1))
		require.NoError(s, err)
		ctx, cancel := context.WithCancel(s.Context())
		call := s.Go("call", func(context.Context) error {
			_, err := st.Endpoint().GetReply(ctx, client, echoReq{N: 1})
			return err
		})
		r, err := st.Next(within(s, time.Minute))
		require.NoError(s, err)
		rctx := r.Context()
		require.NoError(s, rctx.Err(), "the caller waits")
		_, ok := rpc.CallerOf(rctx)
		assert.True(s, ok, "it carries its caller")

		cancel()
		require.ErrorIs(s, call.Join(s.Context()), context.Canceled)
		require.ErrorIs(s, providers.Wait(rctx, server.Providers().Task), context.Canceled)
		assert.ErrorIs(s, context.Cause(rctx), rpc.ErrCallerCanceled)
		assert.NoError(s, r.Reply(echoResp{1}), "a reply to a caller that gave up is no error")
		s.Sleep(time.Second)
		assert.Zero(s, client.Stats().Orphans, "and it was not sent")
	}, quiet...)
}

// TestACancelDropsARequestHeldForItsEndpoint: a request that arrives
// before its endpoint is served is held (Config.ServeGrace); a cancel of
// its caller's drops it, and no handler runs for it once the endpoint is
// served, where it ran with a context that never ended.
func TestACancelDropsARequestHeldForItsEndpoint(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep := rpc.Endpoint[echoReq, echoResp]{Token: rpc.WellKnown(1), Addr: "10.0.0.1:4500"}
		ctx, cancel := context.WithCancel(s.Context())
		call := s.Go("call", func(context.Context) error {
			_, err := ep.GetReply(ctx, client, echoReq{N: 1})
			return err
		})
		s.Sleep(100 * time.Millisecond) // held on the server
		cancel()
		require.ErrorIs(s, call.Join(s.Context()), context.Canceled)
		s.Sleep(100 * time.Millisecond)

		var ran []int
		_, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			ran = append(ran, r.N)
			return echoResp{2 * r.N}, nil
		})
		require.NoError(s, err)
		got, err := ep.GetReply(within(s, time.Minute), client, echoReq{N: 2})
		require.NoError(s, err)
		assert.Equal(s, 4, got.N)
		assert.Equal(s, []int{2}, ran, "no handler ran for the call given up")
		assert.Zero(s, client.Stats().Orphans)
	}, quiet...)
}

// TestThousandsOfCancelsHoldNothing: calls cancelled at every point, from
// before their request is written to after their reply came, leave no
// request held on the server for a cancel.
func TestThousandsOfCancelsHoldNothing(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		p, r := server.Providers(), s.Providers().Random
		canceled := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, q echoReq) (echoResp, error) {
			if err := p.Time.Sleep(ctx, time.Duration(q.N)*time.Microsecond); err != nil {
				canceled++
				return echoResp{}, err
			}
			return echoResp{q.N}, nil
		})
		require.NoError(s, err)
		calls := make([]providers.Handle, 1000)
		for i := range calls {
			work, patience := r.IntN(2000), time.Duration(r.IntN(3000))*time.Microsecond
			calls[i] = s.Go("call", func(context.Context) error {
				ctx, cancel := context.WithCancel(s.Context())
				defer cancel()
				s.Go("give up", func(context.Context) error {
					s.Sleep(patience)
					cancel()
					return nil
				})
				_, _ = ep.GetReply(ctx, client, echoReq{N: work})
				return nil
			})
		}
		for _, h := range calls {
			require.NoError(s, h.Join(s.Context()))
		}
		s.Sleep(time.Second)
		assert.Positive(s, canceled, "handlers saw their callers' cancels")
		assert.Zero(s, rpc.Running(server), "requests held for a cancel")
	}, quiet...)
}

// TestCancelsBetweenTwoReleases: a transport of this release and one of
// the release before (protocol version 2, which has no cancel) talk, in
// either role, under contexts that can be cancelled: the calls are
// answered, and a cancel changes nothing on the server, as before this
// release: the handler runs on, and its reply is an orphan.
func TestCancelsBetweenTwoReleases(t *testing.T) {
	for _, old := range []string{"server", "client"} {
		t.Run("the old one is the "+old, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				server, client := newPair(s)
				if old == "server" {
					rpc.SpeakUpTo(server, 2)
				} else {
					rpc.SpeakUpTo(client, 2)
				}
				release := providers.NewChan[struct{}](s.Providers().Task, 1)
				var causes []error
				ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
					if r.N < 0 {
						_, _, _ = release.Recv(ctx)
						causes = append(causes, context.Cause(ctx))
					}
					return echoResp{2 * r.N}, nil
				})
				require.NoError(s, err)
				for _, way := range waitingCalls {
					ctx, cancel := context.WithCancel(within(s, time.Hour))
					require.NoError(s, way.call(ctx, ep, client, echoReq{N: 1}), way.name)
					cancel()
				}

				ctx, cancel := context.WithCancel(s.Context())
				call := s.Go("call", func(context.Context) error {
					_, err := ep.GetReply(ctx, client, echoReq{N: -1})
					return err
				})
				s.Sleep(time.Second)
				cancel()
				require.ErrorIs(s, call.Join(s.Context()), context.Canceled)
				s.Sleep(time.Second)
				assert.Empty(s, causes, "the handler runs on: the old end sends no cancel, or knows none")
				release.TrySend(struct{}{})
				s.Sleep(time.Second)
				require.Len(s, causes, 1)
				assert.NoError(s, causes[0])
				assert.Equal(s, uint64(1), client.Stats().Orphans, "its reply came for nobody")
				assert.Zero(s, client.Stats().Disconnects)
				assert.Zero(s, server.Stats().Orphans, "nothing the old end does not know came to it")
			}, quiet...)
		})
	}
}

// TestARequestQueuedForAnOldServerIsNotSentAsCancelable: a request that
// its caller may cancel, encoded for a server of this release and sent
// again after the server was rolled back to the release before, goes out
// in the older version's kind: the old server answers it.
func TestARequestQueuedForAnOldServerIsNotSentAsCancelable(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		newServer := func(ctx context.Context, p providers.Providers, newest uint16) error {
			tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
			if err != nil {
				return err
			}
			rpc.SpeakUpTo(tr, newest)
			if _, err := rpc.Serve(tr, rpc.WellKnown(1), double); err != nil {
				return err
			}
			return providers.Wait(ctx, p.Task)
		}
		boots := 0
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				boots++
				if boots == 1 {
					return newServer(ctx, p, 3)
				}
				return newServer(ctx, p, 2) // rolled back
			})
		}})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1))
		_, err = ep.GetReply(within(s, time.Minute), client, echoReq{N: 1}) // connected, in version 3
		require.NoError(s, err)
		c.Stop("srv-0", simtest.Crash)
		ctx, cancel := context.WithCancel(within(s, time.Minute))
		defer cancel()
		call := s.Go("call", func(context.Context) error {
			r, err := ep.GetReply(ctx, client, echoReq{N: 4})
			if err == nil && r.N != 8 {
				err = errors.New("a wrong reply")
			}
			return err
		})
		s.Sleep(time.Second)
		c.Start("srv-0")
		require.NoError(s, call.Join(s.Context()), "the old server answered")
		assert.Zero(s, client.Stats().Orphans)
	}, quiet...)
}

// TestCancelsAreDeterministic: callers that give up on their calls at
// points a seed decides, under faults, run the same twice.
func TestCancelsAreDeterministic(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		p := server.Providers()
		canceled := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			if err := p.Time.Sleep(ctx, time.Duration(p.Random.IntN(200))*time.Millisecond); err != nil {
				if errors.Is(context.Cause(ctx), rpc.ErrCallerCanceled) {
					canceled++
				}
				return echoResp{}, err
			}
			return echoResp{2 * r.N}, nil
		})
		require.NoError(s, err)
		wg := providers.NewWaitGroup(s.Providers().Task)
		for i := range 4 {
			wg.Go(s.Context(), "caller", func(ctx context.Context) error {
				cp := client.Providers()
				for j := range 20 {
					cctx, cancel := context.WithCancel(ctx)
					stop := cp.Time.AfterFunc(time.Duration(cp.Random.IntN(200))*time.Millisecond, cancel)
					_, _ = ep.GetReply(cctx, client, echoReq{i*100 + j})
					stop.Stop()
					cancel()
				}
				return nil
			})
		}
		require.NoError(s, wg.Wait(s.Context()))
		assert.Positive(s, canceled, "handlers ended by their callers' cancels")
	}, simtest.CheckDeterminism(), simtest.Seeds(10), simtest.Chaos(chaos.Defaults()))
}

// TestACallersCancelEndsItsHandlerOnLoopback: as in a simulation, over
// real TCP: a handler blocked on <-ctx.Done() returns when its caller
// cancels, with a cause that says so, and one whose caller's deadline
// passes returns at that deadline; the handler of a caller that waits
// on is not disturbed, and answers.
func TestACallersCancelEndsItsHandlerOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := realProviders()
	server, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	started := make(chan int, 3)
	ended := make(chan error, 3)
	answer := make(chan struct{})
	ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
		started <- r.N
		select {
		case <-ctx.Done():
			ended <- context.Cause(ctx)
			// No answer before the test's last: the server's end of a
			// deadline comes a little before the caller's, and an answer
			// sent then could beat the caller's own deadline.
			<-answer
		case <-answer:
		}
		return echoResp{r.N}, nil
	})
	require.NoError(t, err)
	client, err := rpc.NewTransport(ctx, p, rpc.Config{})
	require.NoError(t, err)
	defer client.Close()

	cctx, cancelCall := context.WithCancel(ctx)
	calls := make(chan error, 3)
	go func() {
		_, err := ep.GetReply(cctx, client, echoReq{N: 1})
		calls <- err
	}()
	live := make(chan error, 1)
	go func() {
		_, err := ep.GetReply(ctx, client, echoReq{N: 2})
		live <- err
	}()
	recvWithin(t, started)
	recvWithin(t, started)
	cancelCall()
	require.ErrorIs(t, recvWithin(t, calls), context.Canceled)
	cause := recvWithin(t, ended)
	require.ErrorIs(t, cause, rpc.ErrCallerCanceled)

	dctx, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	defer stop()
	go func() {
		_, err := ep.GetReply(dctx, client, echoReq{N: 3})
		calls <- err
	}()
	recvWithin(t, started)
	require.ErrorIs(t, recvWithin(t, calls), context.DeadlineExceeded)
	require.ErrorIs(t, recvWithin(t, ended), context.DeadlineExceeded)

	close(answer)
	require.NoError(t, recvWithin(t, live), "the call that waited on was answered")
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
}

type valueKey struct{}
