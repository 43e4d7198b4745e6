package explore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/explore"
)

func TestRecipeRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := explore.Recipe{Seed: rapid.Uint64().Draw(t, "seed")}
		at := uint64(0)
		for range rapid.IntRange(0, 5).Draw(t, "depth") {
			at += rapid.Uint64Range(1, 1000).Draw(t, "step")
			r = r.Child(at, rapid.Uint64().Draw(t, "child"))
		}
		got, err := explore.ParseRecipe(r.String())
		require.NoError(t, err)
		require.Equal(t, r, got)
	})
}

func TestRecipeText(t *testing.T) {
	r := explore.Recipe{Seed: 42}.Child(1034, 99).Child(2051, 7)
	assert.Equal(t, "42/1034:99/2051:7", r.String())
	assert.Equal(t, "42", explore.Recipe{Seed: 42}.String())
}

func TestBadRecipes(t *testing.T) {
	for s, want := range map[string]string{
		"":             "does not start with a decimal root seed",
		"x/1:2":        "does not start with a decimal root seed",
		"42/1034":      "branch point 1, \"1034\", is not draw:seed",
		"42/10:1/a:2":  "branch point 2, \"a:2\", is not draw:seed",
		"42/10:1/10:2": "branch point 2 is at draw 10, not after the one before it (draw 10)",
	} {
		_, err := explore.ParseRecipe(s)
		assert.ErrorContains(t, err, want, "recipe %q", s)
	}
}

func TestValidate(t *testing.T) {
	require.NoError(t, explore.Defaults().Validate())
	fixed := explore.Defaults()
	fixed.Barren = 0
	require.NoError(t, fixed.Validate(), "Barren 0 splits a fixed count")
	for _, c := range []struct {
		edit func(*explore.Config)
		want string
	}{
		{func(c *explore.Config) { c.Timelines = 0 }, "Timelines is 0"},
		{func(c *explore.Config) { c.Timelines = -3 }, "Timelines is -3"},
		{func(c *explore.Config) { c.Timelines = 1 << 40 }, "give a budget between 1 and"},
		{func(c *explore.Config) { c.Branches = 0 }, "Branches is 0"},
		{func(c *explore.Config) { c.Energy = 2 }, "Energy is 2; give at least Branches (8)"},
		{func(c *explore.Config) { c.MaxDepth = 0 }, "MaxDepth is 0"},
		{func(c *explore.Config) { c.MaxDepth = 1 << 20 }, "MaxDepth is 1048576"},
		{func(c *explore.Config) { c.Barren = 3 }, "Barren is 3; give 0 to split a fixed count, or between Branches (8) and Energy (256)"},
		{func(c *explore.Config) { c.Barren = -1 }, "Barren is -1"},
		{func(c *explore.Config) { c.Barren = 1000 }, "Barren is 1000"},
	} {
		cfg := explore.Defaults()
		c.edit(&cfg)
		assert.ErrorContains(t, cfg.Validate(), c.want)
	}
}
