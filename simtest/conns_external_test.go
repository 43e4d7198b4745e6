package simtest_test

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// serveOn accepts connections on host:80, each read until its peer
// closes it and then closed, and returns the address to dial.
func serveOn(s *simtest.S, host string) string {
	p := s.HostProviders(host)
	l, err := p.Network.Listen(s.Context(), ":80")
	require.NoError(s, err)
	p.Task.Go(s.Context(), "accept", func(ctx context.Context) error {
		for {
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			p.Task.Go(ctx, "conn", func(context.Context) error {
				_, _ = io.Copy(io.Discard, c)
				return c.Close()
			})
		}
	})
	return host + ":80"
}

// dialAndKeep dials addr n times from the driver's host, keeping every
// connection open, and returns how many dials failed with EADDRNOTAVAIL.
func dialAndKeep(s *simtest.S, addr string, n int) (noPort int) {
	var open []net.Conn
	for range n {
		c, err := s.Providers().Network.Dial(s.Context(), addr)
		if err != nil {
			require.ErrorIs(s, err, syscall.EADDRNOTAVAIL)
			noPort++
			continue
		}
		open = append(open, c)
	}
	return noPort
}

// A client that never closes its connections runs its host out of
// ephemeral ports, and its dials fail from then on: the seed's report
// says so, though the network injected no fault, and the seed's results
// count it.
func TestAHostOutOfPortsIsReported(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		addr := serveOn(s, "server")
		assert.Equal(s, 10, dialAndKeep(s, addr, 16384+10))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    connections: host 10\.0\.0\.254 ran out of ephemeral ports at [0-9.]+m?s, its open connections holding 16384, `+
		`and its dials failed with EADDRNOTAVAIL from then on \(16384 open at the seed's end\); no fault did this: connections never closed`, res.Report)
	require.Len(t, res.PerSeed, 1)
	assert.Equal(t, 1, res.PerSeed[0].Faults["out of ephemeral ports"], "the seed's results count the host")
}
