package simtest_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// closeAfterSleep is x/net/nettest's CloseTimeout in small: a writer keeps
// writing to a connection, a reader keeps reading its peer, and the body
// sleeps, then closes them. Over a network with no latency the data
// crosses in no simulated time, the clock never reaches the sleep's end,
// and the seed would run until go test's -timeout.
func closeAfterSleep(s *simtest.S) {
	srv := s.HostProviders("10.0.0.1")
	ln, err := srv.Network.Listen(s.Context(), "10.0.0.1:7000")
	require.NoError(s, err)
	var c1 net.Conn
	s.Go("accept", func(ctx context.Context) error {
		c, err := ln.Accept()
		c1 = c
		return err
	})
	c2, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7000")
	require.NoError(s, err)
	s.Sleep(time.Millisecond)
	s.Go("writer", func(ctx context.Context) error {
		buf := make([]byte, 1024)
		for {
			if _, err := c2.Write(buf); err != nil {
				return nil
			}
		}
	})
	s.Go("reader", func(ctx context.Context) error {
		_, _ = io.Copy(io.Discard, c1)
		return nil
	})
	s.Sleep(100 * time.Millisecond)
	require.NoError(s, c1.Close())
	require.NoError(s, c2.Close())
}

func TestZeroLatencyStandstillNamesTheNetwork(t *testing.T) {
	r := runIn("TestStill", func(r *recorder) {
		simtest.Run(r, closeAfterSleep, simtest.Seeds(1), simtest.Network(chaos.Network{}),
			simtest.MaxWallPerInstant(300*time.Millisecond))
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "out of wall time at 1ms")
	assert.Contains(t, out, "simulated time stood still at 1ms for ")
	assert.Contains(t, out, "The network has no latency (chaos.Network's Latency and MaxPairLatency are zero, as in chaos.Network{}): "+
		"data crosses it in no simulated time")
	assert.Contains(t, out, "Give the network latency: chaos.NoNetworkFaults(), or set Latency.")
}

// With latency, the same seed's clock moves as data crosses, the sleep
// ends, and the seed passes.
func TestLatencyLetsTheClockMoveWhileDataFlows(t *testing.T) {
	simtest.Run(t, closeAfterSleep, simtest.Seeds(2), simtest.Network(chaos.NoNetworkFaults()),
		simtest.MaxWallPerInstant(300*time.Millisecond))
}

func TestMaxWallPerInstantRefusesANegativeBound(t *testing.T) {
	r := runIn("TestStill", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {}, simtest.MaxWallPerInstant(-time.Second))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest.MaxWallPerInstant(-1s): the bound must be zero (none) or positive")
}

// echoRounds is a request and reply over a network with no latency, rounds
// times, each under a deadline that the reply clears: the clock never
// moves, and only cleared deadlines wait for it.
func echoRounds(rounds int) func(s *simtest.S) {
	return func(s *simtest.S) {
		srv := s.HostProviders("10.0.0.1")
		ln, err := srv.Network.Listen(s.Context(), "10.0.0.1:7000")
		require.NoError(s, err)
		s.Go("echo", func(ctx context.Context) error {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			buf := make([]byte, 8)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return nil
				}
				if _, err := c.Write(buf); err != nil {
					return nil
				}
			}
		})
		c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7000")
		require.NoError(s, err)
		buf := make([]byte, 8)
		for range rounds {
			require.NoError(s, c.SetDeadline(s.Now().Add(time.Second)))
			_, err := c.Write(buf)
			require.NoError(s, err)
			_, err = io.ReadFull(c, buf)
			require.NoError(s, err)
			require.NoError(s, c.SetDeadline(time.Time{}))
		}
		require.NoError(s, c.Close())
	}
}

// A seed of many round trips at one instant, each under a deadline that is
// cleared at its reply, loses nothing by the clock standing still: it runs
// past the bound and passes.
func TestClearedDeadlinesAtOneInstantAreNotAStandstill(t *testing.T) {
	simtest.Run(t, echoRounds(100_000), simtest.Seeds(1), simtest.Network(chaos.Network{}),
		simtest.MaxWallPerInstant(100*time.Millisecond))
}
