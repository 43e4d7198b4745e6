package simnet_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// zeroLatency runs rounds round trips over a network with no latency, every
// one at simulated time zero, under a livelock bound of maxSteps.
func zeroLatency(t *testing.T, rounds int, maxSteps uint64, during func(do func())) sim.Result {
	w := sim.New(sim.Config{Seed: 1, MaxStepsPerInstant: maxSteps, TimeBudget: time.Hour})
	n, err := simnet.New(w, chaos.Network{})
	require.NoError(t, err)
	return w.Run(func(ctx context.Context, p providers.Providers) error {
		client, server := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost("10.0.0.2"))
		l, err := server.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		server.Task.Go(ctx, "echo", func(ctx context.Context) error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			return echo(c)
		})
		c, err := client.Network.Dial(ctx, "10.0.0.2:7")
		if err != nil {
			return err
		}
		defer c.Close()
		if err := pingPong(c, rounds); err != nil {
			return err
		}
		if during != nil {
			buf := make([]byte, pingSize)
			during(func() {
				if _, err := c.Write(buf); err != nil {
					t.Error(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Error(err)
				}
			})
		}
		return nil
	})
}

// A long workload at one instant moves data at every step: the livelock
// guard must not take it for a spinning task.
func TestZeroLatencyWorkloadIsNoLivelock(t *testing.T) {
	res := zeroLatency(t, 20_000, 1000, nil)
	require.NoError(t, res.Err)
	assert.Zero(t, res.SimTime, "every round trip falls at one instant")
	assert.Greater(t, res.Steps, uint64(20_000))
}

// A round trip in steady state allocates nothing: the deliveries reuse
// their events.
func TestRoundTripAllocatesNothing(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var allocs float64
	res := zeroLatency(t, 1000, 0, func(do func()) { allocs = testing.AllocsPerRun(1000, do) })
	require.NoError(t, res.Err)
	assert.Zero(t, allocs)
}
