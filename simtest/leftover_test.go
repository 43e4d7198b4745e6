package simtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// The report's line of goroutines left running says when they could not
// be counted, for a program's code spun elsewhere in the test binary,
// rather than saying nothing, as it does when none is left.
func TestTheLeftoverLineSaysWhenItCouldNotCount(t *testing.T) {
	pool := sim.NewWorkers()
	defer pool.Close()
	res := sim.New(sim.Config{Seed: 1, Workers: pool}).Run(func(ctx context.Context, p providers.Providers) error {
		return p.Task.Go(ctx, "t", func(context.Context) error { return nil }).Join(ctx)
	})
	require.NoError(t, res.Err)
	pools := []*sim.Workers{pool}
	text, counted := leftoverNote(pools, nil, nil, seedsLeft)
	require.Empty(t, text, "none left")
	require.False(t, counted)

	c := sim.EnterForeign(context.Background(), 0) // out in its code, and never back
	defer c.End()
	text, counted = leftoverNote(pools, nil, nil, seedsLeft)
	assert.False(t, counted, "not counted: no failure")
	assert.Equal(t, "whether goroutines that the seeds' tasks started with go statements still run after the Run is not known: "+
		"they could not be counted, for a count stops the world, which waits for a program's code to call the host, "+
		"and a program's code in this test binary had run for over a second without calling it "+
		"(a spin, which the watchdog reports in the seed it belongs to: docs/programs.md)", text)
}
