package rpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestHeardFromAfterHealIsAvailableAtOnce: a partition long enough to
// back a peer off to MaxBackoff heals, and the other side calls first.
// The connection from the peer's host cuts the backoff short: the monitor
// reports the address available within a connect (a few milliseconds),
// where it waited out the rest of a backoff of up to 30 s before (28.7 s
// on the second seed).
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
