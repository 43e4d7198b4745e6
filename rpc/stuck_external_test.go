package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Regexp(t, `\n\s*[2-9]\d* tasks wait on chan receive, all at one place \("10\.0\.0\.1/rpc read 10\.0\.0\.2:\d+", `, res.Report,
		"the handler's tasks wait at one place, told once")
}
