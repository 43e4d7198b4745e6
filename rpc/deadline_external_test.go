package rpc_test

import (
	"context"
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

// A handler's view of its context: its deadline, if any, and the time
// left until it by the server's clock.
type seen struct {
	Deadline time.Time
	Has      bool
	Left     time.Duration
}

// serveDeadlines serves, on tr, WellKnown(1): a handler that tells its
// context's deadline, and WellKnown(2): one that calls WellKnown(1) at
// inner with its own context, as a nested call, and tells what that saw.
func serveDeadlines(t require.TestingT, tr *rpc.Transport, inner string) {
	_, err := rpc.Serve(tr, rpc.WellKnown(1), func(ctx context.Context, _ echoReq) (seen, error) {
		d, ok := ctx.Deadline()
		return seen{d, ok, d.Sub(tr.Providers().Time.Now())}, nil
	})
	require.NoError(t, err)
	_, err = rpc.Serve(tr, rpc.WellKnown(2), func(ctx context.Context, r echoReq) (seen, error) {
		return rpc.At[echoReq, seen](inner, rpc.WellKnown(1)).GetReply(ctx, tr, r)
	})
	require.NoError(t, err)
}

// TestTheCallersDeadlineTravels: a handler's context carries its caller's
// deadline, counted on the server's clock from the request's arrival,
// so never earlier than the caller's; a nested call inherits it; and the
// handler's context ends when it passes; a call without a deadline gives
// its handler none.
func TestTheCallersDeadlineTravels(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		serveDeadlines(s, server, server.Addr())
		// The hosts' clocks disagree by up to 10 minutes: what travels is
		// the time left, not a reading of the caller's clock.
		p := client.Providers()
		for _, tok := range []rpc.Token{rpc.WellKnown(1), rpc.WellKnown(2)} {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 3*time.Second)
			got, err := rpc.At[echoReq, seen](server.Addr(), tok).GetReply(ctx, client, echoReq{1})
			cancel()
			require.NoError(s, err)
			require.True(s, got.Has, "%v: the handler's context has a deadline", tok)
			assert.LessOrEqual(s, got.Left, 3*time.Second, "%v: the time left when the request arrived, at most", tok)
			assert.Greater(s, got.Left, 2*time.Second, "%v: less the request's transit only", tok)

			_, base := s.Context().Deadline()
			got, err = rpc.At[echoReq, seen](server.Addr(), tok).GetReply(s.Context(), client, echoReq{1})
			require.NoError(s, err)
			assert.Equal(s, base, got.Has, "%v: no deadline of the caller's, none but the transports' own, as in production", tok)
		}

		ended := make(chan error, 1)
		_, err := rpc.Serve(server, rpc.WellKnown(3), func(ctx context.Context, _ echoReq) (echoResp, error) {
			ended <- providers.Wait(ctx, server.Providers().Task)
			return echoResp{}, nil
		})
		require.NoError(s, err)
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Second) // on the caller's clock, as its transport's
		defer cancel()
		_, err = rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(3)).GetReply(ctx, client, echoReq{1})
		require.ErrorIs(s, err, context.DeadlineExceeded)
		s.Sleep(time.Second)
		select {
		case err := <-ended:
			assert.ErrorIs(s, err, context.DeadlineExceeded, "the handler's context ended at the caller's deadline")
		default:
			s.Errorf("the handler still waits, a second after its caller's deadline")
		}
	}, simtest.Chaos(skewed()), simtest.Seeds(5))
}

// skewed is a simulation without faults, whose hosts' clocks are up to
// 5 minutes off simulated time.
func skewed() chaos.Config {
	c := chaos.Off()
	c.Network.MaxClockSkew = 5 * time.Minute
	return c
}

// TestTheCallersDeadlineTravelsOnLoopback: as above, on real TCP, and a
// call without a deadline gives its handler none.
func TestTheCallersDeadlineTravelsOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := providers.Real()
	base := context.Background() // no deadline of the transports'
	server, err := rpc.NewTransport(base, p, rpc.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer server.Close()
	serveDeadlines(t, server, server.Addr())
	client, err := rpc.NewTransport(base, p, rpc.Config{})
	require.NoError(t, err)
	defer client.Close()

	for _, tok := range []rpc.Token{rpc.WellKnown(1), rpc.WellKnown(2)} {
		want, _ := ctx.Deadline()
		got, err := rpc.At[echoReq, seen](server.Addr(), tok).GetReply(ctx, client, echoReq{1})
		require.NoError(t, err)
		require.True(t, got.Has, "%v", tok)
		assert.False(t, got.Deadline.Before(want), "%v: one clock: never earlier than the caller's: %v < %v", tok, got.Deadline, want)

		got, err = rpc.At[echoReq, seen](server.Addr(), tok).GetReply(base, client, echoReq{1})
		require.NoError(t, err)
		assert.False(t, got.Has, "%v: no deadline, none travels", tok)
	}
	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
}

// spent is a context whose deadline has passed, as one made on a clock
// behind the caller transport's reads it, and which has not ended.
type spent struct{ context.Context }

func (c spent) Deadline() (time.Time, bool) { return time.Unix(0, 0), true }

// TestACallWhoseContextEndedIsNotSent: a call or a Send whose context
// has ended sends nothing, and says so; a request whose budget is spent when it
// arrives runs no handler, which would start with no time left.
func TestACallWhoseContextEndedIsNotSent(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ran := 0
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(_ context.Context, r echoReq) (echoResp, error) {
			ran++
			return echoResp{r.N}, nil
		})
		require.NoError(s, err)
		_, err = ep.GetReply(s.Context(), client, echoReq{1}) // connected
		require.NoError(s, err)

		past, cancel := client.Providers().Time.WithTimeout(s.Context(), -time.Second)
		defer cancel()
		cancelled, cancel2 := context.WithCancel(s.Context())
		cancel2()
		for _, ctx := range []context.Context{past, cancelled} {
			_, err = ep.GetReply(ctx, client, echoReq{2})
			require.ErrorIs(s, err, rpc.ErrNotSent)
			require.ErrorIs(s, err, ctx.Err())
			assert.Regexp(s, `^rpc: GetReply to wellknown/1 at .*: context (deadline exceeded|canceled): the request was not sent$`, err.Error())
			_, err = ep.TryGetReply(ctx, client, echoReq{2})
			require.ErrorIs(s, err, rpc.ErrNotSent)
			_, err = ep.GetReplyUnlessFailedFor(ctx, client, echoReq{2}, time.Second)
			require.ErrorIs(s, err, rpc.ErrNotSent)
			err = ep.Send(ctx, client, echoReq{2})
			require.ErrorIs(s, err, rpc.ErrNotSent)
			require.ErrorIs(s, err, ctx.Err())
			assert.ErrorContains(s, err, "its context ended before it was queued")
		}

		_, err = ep.GetReply(spent{s.Context()}, client, echoReq{3})
		require.ErrorIs(s, err, rpc.ErrBrokenPromise, "the server answers that no handler ran")
		require.NoError(s, ep.Send(s.Context(), client, echoReq{4}))
		s.Sleep(time.Second)
		assert.Equal(s, 2, ran, "only the first request and the last Send ran a handler; none whose context had ended")
	}, quiet...)
}

// serveSeen serves, at WellKnown(1) on tr, a handler that tells on
// seen when it started and its context's deadline.
func serveSeen(t require.TestingT, tr *rpc.Transport, seen chan<- [2]time.Time) {
	_, err := rpc.Serve(tr, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
		d, _ := ctx.Deadline()
		seen <- [2]time.Time{tr.Providers().Time.Now(), d}
		return echoResp{r.N}, nil
	})
	require.NoError(t, err)
}

// TestAResentRequestCarriesTheTimeLeftThen: a request written again on a
// new connection, after a partition, carries the time left when it is
// written, not when it was encoded: its handler's deadline is its
// caller's, give or take the network's transit.
func TestAResentRequestCarriesTheTimeLeftThen(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		seen := make(chan [2]time.Time, 2)
		serveSeen(s, server, seen)
		ep := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1))
		_, err := ep.GetReply(s.Context(), client, echoReq{1}) // connected
		require.NoError(s, err)
		<-seen
		p := client.Providers()
		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		s.Go("heal", func(context.Context) error {
			s.Sleep(12 * time.Second)
			s.Network().Heal()
			return nil
		})
		ctx, cancel := p.Time.WithTimeout(s.Context(), 20*time.Second)
		defer cancel()
		want, _ := ctx.Deadline()
		_, err = ep.GetReply(ctx, client, echoReq{2})
		require.NoError(s, err)
		got := <-seen
		assert.GreaterOrEqual(s, got[0].Sub(want), -8*time.Second, "the handler ran after the partition healed")
		assert.WithinDuration(s, want, got[1], 100*time.Millisecond, "the handler's deadline is the caller's")
		assert.NotZero(s, client.Stats().Resent, "the request was resent")
	}, quiet...)
}

// TestAHeldRequestsBudgetCountsFromItsArrival: a request held until its
// endpoint is served has the time left from its arrival, not from when
// it was handed over; one whose budget was spent while held runs no
// handler.
func TestAHeldRequestsBudgetCountsFromItsArrival(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ctx := s.Context()
		server, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		client, err := rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](server.Addr(), rpc.WellKnown(1))
		p := client.Providers()
		done := make(chan error, 2)
		var want time.Time
		for _, d := range []time.Duration{2 * time.Second, 500 * time.Millisecond} {
			cctx, cancel := p.Time.WithTimeout(ctx, d)
			s.Cleanup(cancel)
			if want.IsZero() {
				want, _ = cctx.Deadline()
			}
			s.Go("call", func(context.Context) error {
				_, err := ep.GetReply(cctx, client, echoReq{int(d / time.Millisecond)})
				done <- err
				return nil
			})
		}
		s.Sleep(900 * time.Millisecond) // within ServeGrace: both are held
		seen := make(chan [2]time.Time, 2)
		serveSeen(s, server, seen)
		s.Sleep(2 * time.Second) // both calls are over
		require.Len(s, done, 2)
		require.ErrorIs(s, <-done, context.DeadlineExceeded, "the 500ms call, at 500ms")
		require.NoError(s, <-done, "the 2s call")
		require.Len(s, seen, 1, "the request whose budget was spent while held ran no handler")
		got := <-seen
		assert.WithinDuration(s, want, got[1], 100*time.Millisecond, "the handler's deadline is the caller's")
	}, quiet...)
}
