package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// A GetReply with no deadline, to a handler that never answers, waits
// until the seed's time budget runs out: the report says where the caller
// waits and how to bound the wait, and tells the handler's stuck tasks,
// one per delivery of the request, once.
func TestAGetReplyThatOutwaitsTheBudgetIsToldHowToEnd(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		server, err := rpc.NewTransport(s.Context(), p, rpc.Config{Listen: ":7000"})
		require.NoError(s, err)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, req int) (int, error) {
			_, _, err := providers.NewChan[int](p.Task, 0).Recv(context.WithoutCancel(ctx))
			return 0, err
		})
		require.NoError(s, err)
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{})
		require.NoError(s, err)
		_, _ = ep.GetReply(s.Context(), client, 1)
	}, simtest.Seeds(1), simtest.TimeBudget(10*time.Minute))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "time budget exceeded")
	assert.Contains(t, res.Report, `task "driver" waits in rpc's GetReply, which waits for its reply as long as its context lets it, `+
		"past any time budget when the reply never comes (a handler that never answers, a server gone for good); "+
		"give the call's context a deadline with p.Time.WithTimeout, or call GetReplyUnlessFailedFor, which gives up when the server has failed (docs/rpc.md)\n")
	assert.Regexp(t, `\n\s*[2-9]\d* tasks wait on chan receive, all at one place \("10\.0\.0\.1/rpc handler wellknown/1" x[2-9]\d*\):`, res.Report,
		"the handler's tasks wait at one place, told once, by the name the timeline gives them, the handler's, not that of the reader that ran it")
}

// A check made at the instant a handler's work is due names the handler,
// though it runs in one of its connection's readers, whose starts and ends
// the timeline does not show: its order against the check is the seed's.
func TestACheckAtTheInstantAHandlerIsDueNamesIt(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		server, client := newPair(s)
		sp := server.Providers()
		// untilTen sleeps until the next multiple of ten seconds on p's
		// clock: the handler's write and the check are due at one instant.
		untilTen := func(ctx context.Context, p providers.Providers) error {
			return p.Time.Sleep(ctx, 10*time.Second-time.Duration(p.Time.Now().UnixNano())%(10*time.Second))
		}
		applied := false
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			if err := untilTen(ctx, sp); err != nil {
				return echoResp{}, err
			}
			applied = true
			return echoResp{r.N}, nil
		})
		require.NoError(s, err)
		s.Go("caller", func(ctx context.Context) error {
			_, err := ep.GetReply(ctx, client, echoReq{N: 1})
			return err
		})
		require.NoError(s, untilTen(s.Context(), s.Providers()))
		assert.True(s, applied, "the write is not applied")
	}, simtest.Seeds(20), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	require.NotZero(t, res.Failed, res.Report)
	assert.Contains(t, res.Report, `at the instant of the first error, task "10.0.0.1/rpc handler wellknown/1" was due and had not run yet`, res.Report)
}
