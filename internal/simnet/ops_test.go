package simnet_test

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// TestMessagesAreToldWithTheirEnds checks that an observed run hears every
// write as a message from its sender's host to its receiver's, sent before
// it arrived, and that observing leaves the trace alone.
func TestMessagesAreToldWithTheirEnds(t *testing.T) {
	run := func(observe bool) (sim.Result, []sim.Op) {
		w := sim.New(sim.Config{Seed: 4, TimeBudget: time.Hour})
		var ops []sim.Op
		if observe {
			w.ObserveOps(func(o sim.Op) { ops = append(ops, o) })
		}
		n, err := simnet.New(w, chaos.DefaultNetwork())
		require.NoError(t, err)
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			client, server := on(p, n.SteadyHost("10.0.0.1")), on(p, n.SteadyHost("10.0.0.2"))
			c, s := pair(t, ctx, client, server)
			for _, word := range []string{"one", "two", "three"} {
				if _, err := c.Write([]byte(word)); err != nil {
					return err
				}
			}
			if err := c.Close(); err != nil {
				return err
			}
			_, err := io.ReadAll(s)
			return err
		})
		require.NoError(t, res.Err)
		return res, ops
	}
	plain, _ := run(false)
	res, ops := run(true)
	assert.Equal(t, plain.Trace, res.Trace, "observing leaves the trace alone")
	require.Len(t, ops, 3, "one message per write")
	for i, o := range ops {
		assert.Equal(t, sim.OpMessage, o.Kind)
		assert.Equal(t, "10.0.0.1", o.From)
		assert.Equal(t, "10.0.0.2", o.To)
		assert.Equal(t, ops[0].Conn, o.Conn, "one connection")
		assert.Regexp(t, `^10\.0\.0\.1:\d+->10\.0\.0\.2:\d+$`, o.What)
		assert.Equal(t, int64(len([]string{"one", "two", "three"}[i])), o.Bytes)
		assert.Less(t, o.Start, o.End, "a message takes time to arrive")
		assert.False(t, o.Lost)
	}
}

// TestDataDroppedAtAGiveUpIsToldLost checks that the data an end held
// when it gave up, which never arrives, is heard as lost at the give-up.
func TestDataDroppedAtAGiveUpIsToldLost(t *testing.T) {
	w := newWorld(t, 5, chaos.NoNetworkFaults())
	var ops []sim.Op
	w.w.ObserveOps(func(o sim.Op) { ops = append(ops, o) })
	w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		cl, sv := pair(t, ctx, client, server)
		w.net.Partition([]string{"10.0.0.1"}, []string{"10.0.0.2"})
		for _, word := range []string{"one", "three"} {
			_, err := cl.Write([]byte(word))
			require.NoError(t, err)
		}
		_, err := cl.Read(make([]byte, 1))
		require.ErrorIs(t, err, syscall.ETIMEDOUT)
		w.net.Heal()
		require.NoError(t, client.Time.Sleep(ctx, time.Second))
		require.NoError(t, cl.Close())
		return sv.Close()
	})
	require.Len(t, ops, 2, "one message per write")
	for i, o := range ops {
		assert.True(t, o.Lost)
		assert.Equal(t, int64(len([]string{"one", "three"}[i])), o.Bytes)
		assert.Equal(t, simnet.RetransmitTimeout, o.End-o.Start, "lost at the give-up")
	}
}
