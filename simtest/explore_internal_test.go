package simtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/explore"
)

func TestSimrecipeReplaysOneTimeline(t *testing.T) {
	c, err := resolve(false, flags{recipe: "42/10:7"}, nil)
	require.NoError(t, err)
	require.NotNil(t, c.recipe)
	assert.Equal(t, "42/10:7", c.recipe.String())
	assert.True(t, c.replaySet)
	assert.Equal(t, []uint64{42}, c.replays)
}

func TestSimrecipeRejectsBadInput(t *testing.T) {
	_, err := resolve(false, flags{recipe: "42/10"}, nil)
	assert.EqualError(t, err, `simtest: -simrecipe: explore: recipe "42/10": branch point 1, "10", is not draw:seed in decimal, such as 1034:99`)
	_, err = resolve(false, flags{recipe: "42/10:7", replays: []uint64{3}}, nil)
	assert.EqualError(t, err, "simtest: -simrecipe replays one timeline; drop -simseed, -simseeds and -simfresh")
}

func TestKeptRecipesRoundTrip(t *testing.T) {
	t.Chdir(t.TempDir())
	rec := explore.Recipe{Seed: 42}.Child(1034, 99).Child(2051, 7)
	path, wrote, err := keepRecipe("TestX", rec, "it failed", "go test -simrecipe="+rec.String())
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.Equal(t, "recipe-42_1034-99_2051-7", filepath.Base(path))
	_, wrote, err = keepRecipe("TestX", rec, "it failed", "")
	require.NoError(t, err)
	assert.False(t, wrote, "a kept recipe is written once")
	got, err := keptRecipes("TestX")
	require.NoError(t, err)
	assert.Equal(t, []explore.Recipe{rec}, got)
	seeds, err := keptSeeds("TestX")
	require.NoError(t, err)
	assert.Empty(t, seeds, "plain Runs pass over kept recipes")
}

func TestABadKeptRecipeNamesItsFile(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.MkdirAll(keepPath("TestX"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(keepPath("TestX"), "recipe-42_10"), nil, 0o644))
	_, err := keptRecipes("TestX")
	assert.ErrorContains(t, err, "recipe-42_10: explore: recipe \"42/10\"")
	assert.ErrorContains(t, err, "delete the file")
}

func TestSimexploreExploresWithDefaults(t *testing.T) {
	c, err := resolve(false, flags{explore: true}, nil)
	require.NoError(t, err)
	require.NotNil(t, c.explore)
	assert.Equal(t, explore.Defaults(), *c.explore)

	own := explore.Defaults()
	own.Branches = 4
	c, err = resolve(false, flags{explore: true, budget: 100}, []Option{Explore(own)})
	require.NoError(t, err)
	own.Timelines = 100
	assert.Equal(t, own, *c.explore, "the Run's own Config, with the flag's budget")
}

func TestSimtimelinesWantsAnExploration(t *testing.T) {
	_, err := resolve(false, flags{budget: 100}, nil)
	assert.EqualError(t, err, "simtest: -simtimelines sets an exploration's budget, and this Run does not explore; add -simexplore")
	var f timelinesFlag
	assert.EqualError(t, f.Set("0"), `-simtimelines wants a budget of timelines between 1 and 100000000, such as 10000; "0" is not one`)
	require.NoError(t, f.Set("500"))
	assert.Equal(t, "500", f.String())
}

// TestADeepKeptRecipeRoundTrips keeps a recipe as deep as the maze's
// failing timeline: written in a file name, it would pass the 255 bytes
// file systems take, and the failing timeline would not be kept.
func TestADeepKeptRecipeRoundTrips(t *testing.T) {
	t.Chdir(t.TempDir())
	rec := explore.Recipe{Seed: 12022735018023616522}
	for i := range 20 {
		rec = rec.Child(uint64(i+1), 18446744073709551615-uint64(i))
	}
	path, wrote, err := keepRecipe("TestX", rec, "it failed", "go test -simrecipe="+rec.String())
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.LessOrEqual(t, len(filepath.Base(path)), 255, "a file system takes the name")
	assert.True(t, strings.HasPrefix(filepath.Base(path), "recipe-12022735018023616522~"), path)
	_, wrote, err = keepRecipe("TestX", rec, "it failed", "")
	require.NoError(t, err)
	assert.False(t, wrote, "a kept recipe is written once")

	short := explore.Recipe{Seed: 42}.Child(1034, 99)
	_, _, err = keepRecipe("TestX", short, "it failed", "")
	require.NoError(t, err)
	got, err := keptRecipes("TestX")
	require.NoError(t, err)
	assert.ElementsMatch(t, []explore.Recipe{rec, short}, got)
}

func TestAHashedKeptRecipeWithoutItsLineNamesItsFile(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.MkdirAll(keepPath("TestX"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(keepPath("TestX"), "recipe-42~00ff"), []byte("# replay: x\n"), 0o644))
	_, err := keptRecipes("TestX")
	assert.ErrorContains(t, err, `recipe-42~00ff: its name is a hash and it holds no "# recipe: " line with the recipe; delete the file`)
}

// TestKeptTimelineLogsNameTheTest runs a failing exploration twice in a
// child test binary: the first keeps the failing timeline, the second
// runs it first. The log lines that say so name the test's line, as the
// Run's other lines do, not simtest's own.
func TestKeptTimelineLogsNameTheTest(t *testing.T) {
	if os.Getenv("SIMTEST_CHILD_KEPT") != "" {
		Run(t, func(s *S) {
			ctx, rnd := s.Context(), s.Providers().Random
			for _, msg := range []string{"first rare event", "second rare event"} {
				s.Sleep(time.Millisecond)
				hit := rnd.IntN(20) == 0
				assertions.Sometimes(ctx, hit, msg)
				if !hit {
					return
				}
			}
			s.Errorf("both rare events happened")
		}, Explore(explore.Defaults()), AllowGaps())
		return
	}
	dir := t.TempDir()
	run := func() string {
		out, err := childOutput(t, dir, "SIMTEST_CHILD_KEPT=1", "-test.run=^TestKeptTimelineLogsNameTheTest$")
		require.Error(t, err, "the exploration fails:\n%s", out)
		return out
	}
	first := run()
	assert.Regexp(t, `\n\s+explore_internal_test\.go:\d+: simtest: kept timeline \d+/`, first)
	again := run()
	assert.Regexp(t, `\n\s+explore_internal_test\.go:\d+: simtest: running 1 timeline kept from earlier failures first`, again)
	for _, out := range []string{first, again} {
		assert.NotRegexp(t, `\n\s+(explore_)?keep\.go:\d+:`, out)
	}
}
