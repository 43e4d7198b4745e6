package simnet_test

import (
	"context"
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

// datagramPingPong sends a datagram from a host to an echo and waits for
// its answer, rounds times before calling during with one round trip to
// measure, on a network with cfg's faults. server names the echo's host:
// an IP literal gives *net.UDPAddr addresses, a name simnet.UDPAddr ones.
func datagramPingPong(tb testing.TB, cfg chaos.Network, server string, rounds int, during func(do func())) sim.Result {
	w := sim.New(sim.Config{Seed: 1})
	n, err := simnet.New(w, cfg)
	require.NoError(tb, err)
	return w.Run(func(ctx context.Context, p providers.Providers) error {
		client, echo := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost(server))
		srv, err := echo.Network.ListenPacket(ctx, ":7")
		if err != nil {
			return err
		}
		echo.Task.Go(ctx, "echo", func(ctx context.Context) error {
			buf := make([]byte, 2048)
			for {
				k, from, err := srv.ReadFrom(buf)
				if err != nil {
					return nil // closed at the end
				}
				if _, err := srv.WriteTo(buf[:k], from); err != nil {
					return err
				}
			}
		})
		defer srv.Close()
		pc, err := client.Network.ListenPacket(ctx, ":0")
		if err != nil {
			return err
		}
		// The echo's address as a reader would have it.
		if _, err := srv.WriteTo([]byte("hello"), pc.LocalAddr()); err != nil {
			return err
		}
		buf := make([]byte, pingSize)
		_, to, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		do := func() {
			if _, err := pc.WriteTo(buf, to); err != nil {
				tb.Error(err)
			}
			if _, _, err := pc.ReadFrom(buf); err != nil {
				tb.Error(err)
			}
		}
		for range rounds {
			do()
		}
		if during != nil {
			during(do)
		}
		return nil
	})
}

// A datagram round trip in steady state allocates nothing: payloads and
// their deliveries are reused, and the addresses ReadFrom returns are
// resolved without being printed.
func TestDatagramRoundTripAllocatesNothing(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	for _, server := range []string{"10.0.0.2", "echo"} {
		t.Run(server, func(t *testing.T) {
			var allocs float64
			res := datagramPingPong(t, chaos.Network{}, server, 100, func(do func()) { allocs = testing.AllocsPerRun(1000, do) })
			require.NoError(t, res.Err)
			assert.Zero(t, allocs)
		})
	}
}

// A duplicated datagram's copies each hold the payload: reading one, which
// frees its buffer for the next datagram sent, leaves the other as sent.
func TestDuplicatedDatagramsKeepTheirPayload(t *testing.T) {
	cfg := chaos.Network{DatagramDupProb: 1, Latency: chaos.Latency{Fast: chaos.Range{Min: 1e6, Max: 1e6}}}
	w := sim.New(sim.Config{Seed: 3})
	n, err := simnet.New(w, cfg)
	require.NoError(t, err)
	var got []string
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		a, b := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost("10.0.0.2"))
		rx, err := b.Network.ListenPacket(ctx, ":7")
		if err != nil {
			return err
		}
		tx, err := a.Network.ListenPacket(ctx, ":0")
		if err != nil {
			return err
		}
		buf := make([]byte, 16)
		for _, msg := range []string{"first", "second", "third"} {
			if _, err := tx.WriteTo([]byte(msg), rx.LocalAddr()); err != nil {
				return err
			}
			if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
				return err
			}
			k, _, err := rx.ReadFrom(buf)
			if err != nil {
				return err
			}
			got = append(got, string(buf[:k]))
		}
		for range 3 {
			k, _, err := rx.ReadFrom(buf)
			if err != nil {
				return err
			}
			got = append(got, string(buf[:k]))
		}
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"first", "first", "second", "second", "third", "third"}, got)
}

// A reader that reads each datagram after the next one has arrived never
// empties its socket's queue; the queue still holds only what waits, not
// every datagram read since it was last empty.
func TestADatagramQueueNeverEmptiedStaysSmall(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	n, err := simnet.New(w, chaos.NoNetworkFaults())
	require.NoError(t, err)
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		a, b := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost("10.0.0.2"))
		rx, err := b.Network.ListenPacket(ctx, ":7")
		require.NoError(t, err)
		tx, err := a.Network.ListenPacket(ctx, ":0")
		require.NoError(t, err)
		buf := make([]byte, 8)
		send := func() {
			_, err := tx.WriteTo(buf, rx.LocalAddr())
			require.NoError(t, err)
		}
		send()
		for range 1000 {
			send()
			require.NoError(t, p.Time.Sleep(ctx, time.Second)) // both have arrived
			_, _, err := rx.ReadFrom(buf)
			require.NoError(t, err)
		}
		assert.LessOrEqual(t, simnet.DatagramQueueCap(rx), 8, "one datagram waits at a time")
		return nil
	})
	require.NoError(t, res.Err)
}
