package simnet_test

import (
	"context"
	"syscall"
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

// onConn runs during on a connection between two hosts of a network with
// latency, and returns what the run gave.
func onConn(t *testing.T, during func(ctx context.Context, client providers.Providers, dial func() error)) sim.Result {
	w := sim.New(sim.Config{Seed: 1, TimeBudget: time.Hour})
	n, err := simnet.New(w, chaos.Network{Latency: chaos.Latency{Fast: chaos.Range{Min: time.Millisecond, Max: 2 * time.Millisecond}}})
	require.NoError(t, err)
	return w.Run(func(ctx context.Context, p providers.Providers) error {
		client, server := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost("10.0.0.2"))
		l, err := server.Network.Listen(ctx, ":7")
		if err != nil {
			return err
		}
		server.Task.Go(ctx, "accept", func(ctx context.Context) error {
			for {
				c, err := l.Accept()
				if err != nil {
					return nil
				}
				c.Close()
			}
		})
		during(ctx, client, func() error {
			c, err := client.Network.Dial(ctx, "10.0.0.2:7")
			if err != nil {
				return err
			}
			return c.Close()
		})
		return l.Close()
	})
}

// Moving a connection's deadline arms its timer again: nothing is
// allocated for it.
func TestMovingADeadlineAllocatesNothing(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var allocs float64
	res := onConn(t, func(ctx context.Context, client providers.Providers, _ func() error) {
		c, err := client.Network.Dial(ctx, "10.0.0.2:7")
		require.NoError(t, err)
		defer c.Close()
		allocs = testing.AllocsPerRun(100, func() {
			require.NoError(t, c.SetDeadline(client.Time.Now().Add(time.Second)))
			require.NoError(t, c.SetReadDeadline(client.Time.Now().Add(time.Minute)))
		})
	})
	require.NoError(t, res.Err)
	assert.Zero(t, allocs)
}

// A connect, its accept and both closes, with their timeline entries:
// what the connection is made of and little more (6; 7 before both ends'
// names were made in one string; 9 before a closed connection's segment
// queues were handed on; 12 before a close's log
// line was made with the connection's name, a pipe's first waiters had
// room in the connection and the listener's queue kept its room; 13
// before what a dial's park and refusal say was made once for each
// address; 23 before the
// dial's steps rode on its packets instead of callbacks, the addresses
// were made inside the dial and the connection, and the callbacks of
// deadlines and held deliveries were made only when needed; 54 before the
// connect's packets were reused, the ends and their pipes made in one
// allocation, the log's lines without fmt, and the dial's address shared
// with the connection).
func TestADialAllocatesLittle(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var allocs float64
	res := onConn(t, func(_ context.Context, _ providers.Providers, dial func() error) {
		allocs = testing.AllocsPerRun(100, func() { require.NoError(t, dial()) })
	})
	require.NoError(t, res.Err)
	t.Logf("%v allocations a dial", allocs)
	assert.LessOrEqual(t, allocs, 8.0)
}

// A connection closed at both ends hands its ring buffers on to the next
// one: a connection that carries a request and its answer allocates no
// more than one that carries nothing, once the first has made its
// buffers.
func TestClosedConnectionsHandTheirBuffersOn(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var empty, carrying float64
	data := make([]byte, 100)
	res := onConn(t, func(ctx context.Context, client providers.Providers, dial func() error) {
		empty = testing.AllocsPerRun(50, func() { require.NoError(t, dial()) })
		carrying = testing.AllocsPerRun(50, func() {
			c, err := client.Network.Dial(ctx, "10.0.0.2:7")
			require.NoError(t, err)
			_, err = c.Write(data)
			require.NoError(t, err)
			require.NoError(t, c.Close())
		})
	})
	require.NoError(t, res.Err)
	// The write queues its segment, and its delivery is an event: two
	// allocations; its ring buffer would be a third.
	t.Logf("%v allocations a connection, %v with data", empty, carrying)
	assert.LessOrEqual(t, carrying, empty+2)
}

// A dial refused again and again, as a client's of a replica that is
// down, allocates nothing: it returns the error made for its address the
// first time, and the host's next dial takes the refused dial (3 before:
// the dial, its error and the error's syscall error).
func TestARefusedDialAllocatesLittle(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	var allocs float64
	var errs []error
	res := onConn(t, func(ctx context.Context, client providers.Providers, _ func() error) {
		dial := func() {
			_, err := client.Network.Dial(ctx, "10.0.0.2:8")
			errs = append(errs[:min(len(errs), 1)], err)
		}
		dial()
		allocs = testing.AllocsPerRun(100, dial)
	})
	require.NoError(t, res.Err)
	require.Len(t, errs, 2)
	for _, err := range errs {
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Equal(t, "dial tcp 10.0.0.2:8: connect: connection refused", err.Error())
	}
	t.Logf("%v allocations a refused dial", allocs)
	assert.Zero(t, allocs)
}
