package rpc_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestBitFlipsAreCaught runs round trips over a network that flips bits
// in one segment of a hundred: every reply that arrives is the right one,
// since a corrupt frame fails its checksum and ends its connection, and
// GetReply resends on the next.
func TestBitFlipsAreCaught(t *testing.T) {
	net := chaos.NoNetworkFaults()
	net.BitFlipProb = 0.01
	bad := uint64(0)
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		for i := range 300 {
			r, err := ep.GetReply(s.Context(), client, echoReq{i})
			require.NoError(s, err)
			require.Equal(s, 2*i, r.N, "a corrupt reply was accepted")
		}
		bad += server.Stats().BadFrames + client.Stats().BadFrames
	}, simtest.Chaos(chaos.Off()), simtest.Network(net), simtest.Seeds(5))
	assert.Positive(t, bad, "bits were flipped, and caught")
}
