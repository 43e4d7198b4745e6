package simnet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// A run branched after the start of the next random partition was drawn
// draws it again from the branch's source: an exploration that branches
// there can bring the partition sooner or later, where every branch kept
// the start the root had drawn.
func TestABranchDrawsTheNextPartitionAgain(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.PartitionInterval = 5 * time.Second
	cfg.PartitionDuration.Min, cfg.PartitionDuration.Max = 300*time.Millisecond, 300*time.Millisecond
	// first runs seed 7, branched at each of branches, and returns the
	// time of its first random partition and the draw count after its
	// tenth call, a second in.
	first := func(branches []rng.Branch) (time.Duration, uint64) {
		w := newWorld(t, 7, cfg, func(c *sim.Config) { c.Branches = branches })
		var at uint64
		res := w.simulate(t, func(ctx context.Context, client, server providers.Providers) error {
			l, err := server.Network.Listen(ctx, ":7")
			if err != nil {
				return err
			}
			serveEcho(ctx, server, l)
			cl := newClient(client, "10.0.0.2:7")
			for i := range 300 {
				if err := client.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
				if err := cl.call(ctx, []byte{byte(i)}); err != nil {
					return fmt.Errorf("call %d: %w", i, err)
				}
				if i == 9 {
					at = w.w.Rand().Draws()
				}
			}
			return nil
		})
		for _, e := range res.Timeline {
			if strings.HasPrefix(e.Msg, "net: random partition {") {
				return e.At, at
			}
		}
		return -1, at
	}
	root, at := first(nil)
	require.Greater(t, root, 2*time.Second, "the root's first partition comes after the branch point")
	starts := map[time.Duration]bool{}
	for seed := range uint64(8) {
		start, _ := first([]rng.Branch{{At: at, Seed: seed}})
		if start >= 0 {
			assert.Greater(t, start, time.Second, "no partition begins before the branch point")
			starts[start.Round(time.Second)] = true // a partition begins at the first operation after its start
		}
	}
	assert.GreaterOrEqual(t, len(starts), 4, "the branches draw the first partition's start afresh: %v, to the second (the root's %v)", starts, root)
}
