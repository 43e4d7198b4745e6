package dungeon_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/dungeon"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestDungeon descends under go test with plain seeds, which do not reach
// the bottom (a chance of 16^-8, about 2 in 10^10, per seed).
func TestDungeon(t *testing.T) {
	simtest.Run(t, dungeon.Descend)
}

// TestExplorationFollowsTheWatermark spends the same number of runs both
// ways: exploration, following the gold's watermark, reaches the bottom;
// plain seeds do not.
func TestExplorationFollowsTheWatermark(t *testing.T) {
	ex := simtest.Simulate(dungeon.Descend, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	require.Equal(t, 1, ex.Failed, "exploration reaches the last floor:\n%s", ex.Report)
	assert.Contains(t, ex.Report, "the hero reached floor 8 with 256 gold")
	assert.Contains(t, ex.Report, "9 discoveries covered", "the gold of each floor, and the bottom's")
	t.Logf("exploration: %d timelines", ex.Seeds)

	plain := simtest.Simulate(dungeon.Descend, simtest.Seeds(ex.Seeds), simtest.AllowGaps())
	assert.Zero(t, plain.Failed, "plain seeds reach the last floor")
}
