package testenv

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoopbackAddrsAreDistinctFreeAndBelowTheEphemeralRange(t *testing.T) {
	addrs := LoopbackAddrs(t, 8)
	require.Len(t, addrs, 8)
	seen := map[string]bool{}
	for _, addr := range addrs {
		require.False(t, seen[addr], "%s returned twice", addr)
		seen[addr] = true
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1", host)
		p, err := strconv.Atoi(port)
		require.NoError(t, err)
		require.GreaterOrEqual(t, p, 10000)
		require.Less(t, p, ephemeralLow(), "a port an outgoing connection could take")
		l, err := net.Listen("tcp", addr)
		require.NoError(t, err, "the port was released")
		l.Close()
	}
}
