package maze_test

import (
	"flag"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/maze"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
)

var explored = flag.Bool("explore", false, "explore the maze in TestMaze, which then finds the bug and fails")

// TestMaze walks the maze under go test: plain seeds pass (they never get
// far, and the few of -short may open no gate at all, which is no gap
// here), and with -explore the exploration opens every lock and fails
// with a replay line that carries the failing timeline's recipe. That
// failure is the example's point, no regression: it keeps no recipe, so
// that the next -explore explores again rather than replay it first.
func TestMaze(t *testing.T) {
	opts := []simtest.Option{simtest.AllowGaps("a gate opened"), simtest.KeepFailures(!*explored)}
	if *explored {
		opts = append(opts, simtest.Explore(explore.Defaults()))
	}
	simtest.Run(t, maze.Walk, opts...)
}

// TestExplorationFindsWhatSeedsDoNot spends the same number of runs both
// ways: exploration opens every lock, plain seeds do not.
func TestExplorationFindsWhatSeedsDoNot(t *testing.T) {
	cfg := explore.Defaults()
	ex := simtest.Simulate(maze.Walk, simtest.Explore(cfg), simtest.AllowGaps())
	require.Equal(t, 1, ex.Failed, "exploration opens every lock:\n%s", ex.Report)
	t.Logf("exploration: %d timelines, replay %s", ex.Seeds, ex.Replay)
	assert.Contains(t, ex.Report, "all 4 locks are open")

	plain := simtest.Simulate(maze.Walk, simtest.Seeds(ex.Seeds), simtest.AllowGaps())
	assert.Zero(t, plain.Failed, "plain seeds open every lock, a chance of 10^-26 each")

	again := simtest.Simulate(maze.Walk, simtest.ReplayRecipe(recipeOf(t, ex.Replay)), simtest.AllowGaps())
	require.Equal(t, 1, again.Failed, again.Report)
	assert.Equal(t, ex.PerSeed[len(ex.PerSeed)-1].Trace, again.PerSeed[0].Trace, "the recipe replays the failing timeline")
}

// recipeOf reads the recipe out of a replay of the form
// simtest.ReplayRecipe("...").
func recipeOf(t *testing.T, replay string) string {
	t.Helper()
	q, ok := strings.CutPrefix(replay, "simtest.ReplayRecipe(")
	require.True(t, ok, "the replay of a branched timeline is a recipe: %q", replay)
	r, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
	require.NoError(t, err, "replay %q", replay)
	return r
}
