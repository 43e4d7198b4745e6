package simnet_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// drain reads c until it fails, counting the bytes in *read.
func drain(p providers.Providers, ctx context.Context, c net.Conn, read *int) providers.Handle {
	return p.Task.Go(ctx, "reader", func(context.Context) error {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			*read += n
			if err != nil {
				return nil
			}
		}
	})
}

// writeAll writes total bytes to c in writes of 300, counting them in
// *wrote.
func writeAll(p providers.Providers, ctx context.Context, c net.Conn, total int, wrote *int) providers.Handle {
	return p.Task.Go(ctx, "writer", func(context.Context) error {
		for *wrote < total {
			n, err := c.Write(make([]byte, min(300, total-*wrote)))
			*wrote += n
			if err != nil {
				return err
			}
		}
		return c.Close()
	})
}

func TestACutWayBackHoldsTheWritersRoomUntilItEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(w *world)
		end  func(w *world) // nil: the cut ends by itself within 2 s
	}{
		{"one-way partition", func(w *world) { w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"}) }, func(w *world) { w.net.Heal() }},
		{"clog", func(w *world) { w.net.Clog("10.0.0.2", "10.0.0.1", 1500*time.Millisecond) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := chaos.NoNetworkFaults()
			cfg.SendBuffer = 1000
			w := newWorld(t, 3, cfg)
			res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
				c, s := pair(t, ctx, client, server)
				tc.cut(w)
				var wrote, read int
				wr := writeAll(client, ctx, c, 3000, &wrote)
				rd := drain(server, ctx, s, &read)
				client.Time.Sleep(ctx, time.Second)
				assert.Equal(t, 1000, read, "the data crosses the open way")
				assert.Equal(t, 900, wrote, "three writes fit, the fourth waits inside Write with 100 of its bytes sent: none was acknowledged")
				if tc.end != nil {
					tc.end(w)
				}
				client.Time.Sleep(ctx, time.Second)
				assert.Equal(t, 3000, wrote, "the room came back when the way back opened")
				require.NoError(t, wr.Join(ctx))
				require.NoError(t, rd.Join(ctx))
				assert.Equal(t, 3000, read)
				return nil
			})
			waits := events(res, "waits for room")
			require.Len(t, waits, 1, "the timeline tells the wait once a cut")
			assert.Contains(t, waits[0], "write on 10.0.0.1:49152->10.0.0.2")
			assert.Contains(t, waits[0], "the peer reads, but a cut holds its acknowledgements")
		})
	}
}

func TestACutTheOtherWayLeavesTheWritersRoom(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SendBuffer = 1000
	w := newWorld(t, 3, cfg)
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		// The writer's own way back is open: a cut of the server's host
		// from a third host changes nothing for it.
		w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.3"})
		var wrote, read int
		wr := writeAll(client, ctx, c, 3000, &wrote)
		rd := drain(server, ctx, s, &read)
		client.Time.Sleep(ctx, time.Second)
		assert.Equal(t, 3000, wrote)
		require.NoError(t, wr.Join(ctx))
		require.NoError(t, rd.Join(ctx))
		assert.Equal(t, 3000, read)
		return nil
	})
	assert.Empty(t, events(res, "waits for room"))
}

// TestOnePeersCutAcknowledgementsStallAWriterOfAll is the bug the held
// room finds: a node that sends to each of its peers in turn from one
// task, as a leader's broadcast loop may, stops sending to every peer
// when one peer's acknowledgements are cut, though that peer still
// receives and reads: its reads alone do not free the room.
func TestOnePeersCutAcknowledgementsStallAWriterOfAll(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	w := newWorld(t, 4, cfg)
	res := w.run(func(ctx context.Context, p providers.Providers) error {
		leader := on(p, w.net.SteadyHost("10.0.0.1"))
		var conns []net.Conn
		got := make([]int, 2)
		for i, h := range []string{"10.0.0.2", "10.0.0.3"} {
			c, s := pair(t, ctx, leader, on(p, w.net.SteadyHost(h)))
			conns = append(conns, c)
			drain(p, ctx, s, &got[i])
		}
		w.net.PartitionOneWay([]string{"10.0.0.2"}, []string{"10.0.0.1"})
		msg := make([]byte, 1024)
		sent := 0
		broadcast := leader.Task.Go(ctx, "broadcast", func(ctx context.Context) error {
			for range 1000 {
				for _, c := range conns {
					if _, err := c.Write(msg); err != nil {
						return err
					}
				}
				sent++
				if err := leader.Time.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
			return nil
		})
		p.Time.Sleep(ctx, 10*time.Second)
		assert.Less(t, sent, 100, "the broadcast stalls once the cut peer's unacknowledged messages fill its buffer")
		assert.Equal(t, sent*1024, got[1], "and the healthy peer hears no more than the stalled loop sent")
		assert.GreaterOrEqual(t, got[0], chaos.DefaultSendBuffer, "the cut peer received a buffer's worth")
		w.net.Heal()
		require.NoError(t, broadcast.Join(ctx))
		assert.Equal(t, 1000, sent, "after the heal the loop runs to its end")
		for _, c := range conns {
			require.NoError(t, c.Close())
		}
		return nil
	})
	require.NoError(t, res.Err)
}

func TestRandomOneWayPartitionsHoldAndReturnTheRoom(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.SendBuffer = 1000
	cfg.PartitionInterval = 200 * time.Millisecond
	cfg.PartitionDuration.Min, cfg.PartitionDuration.Max = 300*time.Millisecond, time.Second
	cfg.PartitionOneWayProb = 1
	const writes = 5000
	var read int
	var stalls int
	// A bound on the steps and events at one instant makes a room that
	// is handed back without end at a partition's end fail the run, not
	// hang it.
	w := newWorld(t, 9, cfg, func(c *sim.Config) { c.MaxStepsPerInstant = 100_000 })
	res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
		c, s := pair(t, ctx, client, server)
		rd := drain(server, ctx, s, &read)
		msg := make([]byte, 300)
		for range writes {
			start := client.Time.Now()
			if _, err := c.Write(msg); err != nil {
				return err
			}
			if client.Time.Now().Sub(start) > 100*time.Millisecond {
				stalls++
			}
			client.Time.Sleep(ctx, time.Millisecond)
		}
		require.NoError(t, c.Close())
		return rd.Join(ctx)
	})
	assert.Equal(t, writes*300, read, "every byte arrived")
	assert.NotEmpty(t, events(res, "random partition {10.0.0.2} -> {10.0.0.1}"), "the way back was cut")
	assert.Positive(t, stalls, "a write waited for the way back to open")
}
