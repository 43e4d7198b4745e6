package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestHeardFromAfterHealIsAvailableAtOnce: a partition long enough to
// back a peer off to MaxBackoff heals, and the other side calls first.
// The connection from the peer's host cuts the backoff short: the monitor
// reports the address available within a connect (a few milliseconds),
// where it waited out the rest of a backoff of up to 30 s before (28.7 s
// on the second seed). It cuts short a connect under way too, whose SYN,
// lost to the partition, waits to be sent again (until the connect's
// deadline, 0.49 s after the heal, on the first seed).
func TestHeardFromAfterHealIsAvailableAtOnce(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		a, b := newPair(s)
		atA, err := rpc.Serve(a, rpc.WellKnown(1), double)
		require.NoError(s, err)
		atB, err := rpc.Serve(b, rpc.WellKnown(1), double)
		require.NoError(s, err)
		_, err = atB.GetReply(within(s, 10*time.Second), a, echoReq{1})
		require.NoError(s, err)
		m := a.Monitor()
		require.Equal(s, rpc.Available, m.State(b.Addr()))

		s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		s.Sleep(5 * time.Minute)
		require.Equal(s, rpc.Failed, m.State(b.Addr()))
		s.Network().Heal()
		healed := s.Now()
		_, err = atA.GetReply(within(s, 10*time.Second), b, echoReq{2})
		require.NoError(s, err)
		st, err := m.WaitChange(within(s, time.Minute), b.Addr(), rpc.Failed)
		require.NoError(s, err)
		require.Equal(s, rpc.Available, st)
		took := s.Now().Sub(healed)
		assert.Less(s, took, 100*time.Millisecond, "the address came back %v after the heal", took)
	}, quiet...)
}

// TestRequestAfterHealGoesOutWithoutTheBackoff: a partition long enough
// to back a peer off to MaxBackoff heals, and the other side never calls
// this one, so nothing cuts the backoff short but the request itself. A
// request sent after the heal, or one that waited through the partition,
// goes out within MaxBackoffQueued (1 s) of the heal, as FoundationDB's
// FlowTransport redials a peer it has something for, or of the end of a
// connect under way then, whose SYN the kernel sends again within a
// second, unless the connect's deadline comes first (1.4 s on the first
// seed): within 2 s. Before, it waited out the rest of a backoff of up
// to 30 s (18.6 s and 9.6 s after the heal on the first seed, up to
// 23.5 s over eight).
func TestRequestAfterHealGoesOutWithoutTheBackoff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		waiting bool
	}{{"sent after the heal", false}, {"waiting through the partition", true}} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				a, b := newPair(s)
				atB, err := rpc.Serve(b, rpc.WellKnown(1), double)
				require.NoError(s, err)
				_, err = atB.GetReply(within(s, 10*time.Second), a, echoReq{1})
				require.NoError(s, err)

				s.Network().Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
				var answered time.Time
				if tc.waiting {
					s.Go("waiting", func(context.Context) error {
						_, err := atB.GetReply(within(s, time.Hour), a, echoReq{2})
						require.NoError(s, err)
						answered = s.Now()
						return nil
					})
				}
				s.Sleep(5 * time.Minute)
				require.Equal(s, rpc.Failed, a.Monitor().State(b.Addr()))
				s.Network().Heal()
				healed := s.Now()
				if tc.waiting {
					s.Sleep(time.Minute)
					require.False(s, answered.IsZero(), "the request that waited was answered")
				} else {
					_, err = atB.GetReply(within(s, time.Minute), a, echoReq{2})
					require.NoError(s, err)
					answered = s.Now()
				}
				took := answered.Sub(healed)
				assert.Less(s, took, 2*time.Second, "the request went out %v after the heal", took)
			}, quiet...)
		})
	}
}

// TestRequestAfterQuiesceDoesNotWaitOutAHungConnect: a connect fault
// hangs the peer's connect, and the quiesce ends the fault: the request
// waiting for it goes out at the connect's next SYN, within a second of
// the quiesce (0.5 s here), not at the end of its ConnectTimeout (5 s)
// and a backoff: 3.6 s after the quiesce before.
func TestRequestAfterQuiesceDoesNotWaitOutAHungConnect(t *testing.T) {
	hang := chaos.NoNetworkFaults()
	hang.ConnectFailProb, hang.ConnectHangProb = 1, 1
	simtest.Run(t, func(s *simtest.S) {
		a, b := newPair(s)
		atB, err := rpc.Serve(b, rpc.WellKnown(1), double)
		require.NoError(s, err)
		var answered time.Time
		s.Go("waiting", func(context.Context) error {
			_, err := atB.GetReply(within(s, time.Minute), a, echoReq{1})
			require.NoError(s, err)
			answered = s.Now()
			return nil
		})
		s.Sleep(1500 * time.Millisecond)
		require.True(s, answered.IsZero(), "every connect hangs")
		s.Network().Quiesce()
		quiesced := s.Now()
		s.Sleep(time.Minute)
		require.False(s, answered.IsZero(), "the request was answered")
		took := answered.Sub(quiesced)
		assert.Less(s, took, time.Second, "the request went out %v after the quiesce", took)
	}, simtest.Chaos(chaos.Off()), simtest.Network(hang), simtest.Seeds(5))
}
