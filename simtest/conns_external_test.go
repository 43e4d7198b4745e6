package simtest_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
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
	assert.Regexp(t, `\n    connections: host 10\.0\.0\.254 ran out of ephemeral ports at [0-9.]+m?s, the connections it dialled holding 16384, `+
		`and its dials failed with EADDRNOTAVAIL from then on \(16384 still open at the seed's end\); no fault did this: connections never closed`, res.Report)
	require.Len(t, res.PerSeed, 1)
	assert.Equal(t, 1, res.PerSeed[0].Faults["out of ephemeral ports"], "the seed's results count the host")
}

// A slow leak passes every seed that does not run the host out of ports:
// the report notes a host that left many connections it dialled open at
// the seed's end, and the seed's results count it, once: the server's
// accepted ends hold no port.
func TestManyOpenConnectionsAreNoted(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		addr := serveOn(s, "server")
		assert.Zero(s, dialAndKeep(s, addr, 300))
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    connections: in seed \d+, host 10\.0\.0\.254 left 300 connections it dialled open at the seed's end, 300 at most at once; `+
		`1 more of the 2 seeds did alike; each holds one of the host's 16384 ephemeral ports: connections dropped without Close leak them, `+
		`and a longer seed would run it out \(simtest.ConnsNoted raises the count a program that keeps more on purpose may hold; docs/network.md\)\n`, res.Report)
	require.Len(t, res.PerSeed, 2)
	for _, sr := range res.PerSeed {
		assert.Equal(t, map[string]int{"many open connections": 1}, sr.Faults, "seed %d", sr.Seed)
	}

	// A program that keeps them on purpose raises the count, or turns
	// the note off.
	for _, n := range []int{0, 301} {
		res = simtest.Simulate(func(s *simtest.S) {
			addr := serveOn(s, "server")
			assert.Zero(s, dialAndKeep(s, addr, 300))
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.ConnsNoted(n))
		require.True(t, res.OK(), res.Report)
		assert.NotContains(t, res.Report, "connections:", "ConnsNoted(%d)", n)
	}
	res = simtest.Simulate(func(s *simtest.S) {}, simtest.ConnsNoted(-1))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest.ConnsNoted(-1): the count must be zero (note none) or positive")
}

// What a correct program does is not noted: a pool of 300 kept open for
// the seed and closed at its end, a server with 500 clients (its accepted
// connections hold no ephemeral port), 300 loopback connections closed,
// their closes still on their way when the body returns.
func TestCorrectProgramsAreNotNoted(t *testing.T) {
	for name, body := range map[string]func(s *simtest.S){
		"pool": func(s *simtest.S) {
			addr := serveOn(s, "server")
			closeAll(s, dialFrom(s, s.Providers(), addr, 300))
		},
		"server": func(s *simtest.S) {
			addr := serveOn(s, "server")
			var open []net.Conn
			for i := range 500 {
				open = append(open, dialFrom(s, s.HostProviders(fmt.Sprintf("client-%d", i)), addr, 1)...)
			}
			closeAll(s, open)
		},
		"loopback": func(s *simtest.S) {
			addr := serveOn(s, "10.0.0.254")
			closeAll(s, dialFrom(s, s.Providers(), addr, 300))
		},
	} {
		res := simtest.Simulate(body, simtest.Seeds(2), simtest.Network(chaos.NoNetworkFaults()))
		require.True(t, res.OK(), res.Report)
		assert.NotContains(t, res.Report, "connections:", name)
		for _, sr := range res.PerSeed {
			assert.Nil(t, sr.Faults, name)
		}
	}
}

// dialFrom dials addr n times from p's host and returns the connections.
func dialFrom(s *simtest.S, p providers.Providers, addr string, n int) []net.Conn {
	var open []net.Conn
	for range n {
		c, err := p.Network.Dial(s.Context(), addr)
		require.NoError(s, err)
		open = append(open, c)
	}
	return open
}

func closeAll(s *simtest.S, cs []net.Conn) {
	for _, c := range cs {
		require.NoError(s, c.Close())
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

// The results file carries the hosts the connections line notes, with
// what the line says of them, and a merge of shards tells the line one
// Run writes.
func TestAMergeTellsTheConnectionsLine(t *testing.T) {
	dir := t.TempDir()
	leak := func(s *simtest.S) {
		addr := serveOn(s, "server")
		assert.Zero(s, dialAndKeep(s, addr, 300))
	}
	opts := []simtest.Option{simtest.Seeds(4), simtest.BaseSeed(5), simtest.Chaos(chaos.Off())}
	one := simtest.Simulate(leak, opts...)
	require.True(t, one.OK(), one.Report)
	require.Len(t, one.PerSeed, 4)
	assert.Equal(t, []simtest.NotedHost{{Host: "10.0.0.254", Open: 300, Peak: 300, OutOfPorts: -1}}, one.PerSeed[0].Conns)
	for i := range 2 {
		simtest.Simulate(leak, append(opts, simtest.Shard(i, 2), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))...)
	}
	merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	line := regexp.MustCompile(`(?m)^ *connections: .*$`)
	want := line.FindString(one.Report)
	require.NotEmpty(t, want, one.Report)
	assert.Equal(t, want, line.FindString(merged.Tests[0].Report))

	var files []string
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "shards"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	}))
	require.NotEmpty(t, files)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Contains(t, string(data), `"conns":[{"host":"10.0.0.254","open":300,"peak":300}]`)
	assert.Contains(t, string(data), `"conns_hosts":[{"host":"10.0.0.254","open":300,"peak":300}]`, "the summary has the line's seed")
	assert.Contains(t, string(data), `"connections":"connections: in seed `)
}
