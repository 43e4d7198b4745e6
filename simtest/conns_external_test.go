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
		`and its dials failed with EADDRNOTAVAIL from then on \(16384 open at the seed's end\), and 1 more host; no fault did this: connections never closed`, res.Report)
	require.Len(t, res.PerSeed, 1)
	assert.Equal(t, 1, res.PerSeed[0].Faults["out of ephemeral ports"], "the seed's results count the host")
}

// A slow leak passes every seed that does not run the host out of ports:
// the report notes a host that held many connections open at once, and
// the seed's results count it.
func TestManyOpenConnectionsAreNoted(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		addr := serveOn(s, "server")
		assert.Zero(s, dialAndKeep(s, addr, 300))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    connections: in seed \d+, host 10\.0\.0\.254 held 300 connections open at once \(300 open at the seed's end\), and 1 more host; `+
		`1 more of the 2 seeds did alike; a program that closes its connections holds a few per peer: connections dropped without Close leak, `+
		`and a longer seed would run the host out of its 16384 ephemeral ports \(docs/network.md\)\n`, res.Report)
	require.Len(t, res.PerSeed, 2)
	for _, sr := range res.PerSeed {
		assert.Equal(t, map[string]int{"many open connections": 2}, sr.Faults, "both hosts of seed %d", sr.Seed)
	}
}

// A program that keeps a pool of connections open, and closes the rest,
// is not noted.
func TestAPoolOfConnectionsIsNotNoted(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		addr := serveOn(s, "server")
		assert.Zero(s, dialAndKeep(s, addr, 32))
		for range 1000 {
			c, err := s.Providers().Network.Dial(s.Context(), addr)
			require.NoError(s, err)
			require.NoError(s, c.Close())
		}
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	assert.NotContains(t, res.Report, "connections:")
	for _, sr := range res.PerSeed {
		assert.Nil(t, sr.Faults)
	}
}
