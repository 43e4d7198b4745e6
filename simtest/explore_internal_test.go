package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimrecipeReplaysOneTimeline(t *testing.T) {
	c, err := resolve(false, flags{recipe: "42/10:7"}, nil)
	require.NoError(t, err)
	require.NotNil(t, c.recipe)
	assert.Equal(t, "42/10:7", c.recipe.String())
	assert.True(t, c.replaySet)
	assert.Equal(t, uint64(42), c.replay)
}

func TestSimrecipeRejectsBadInput(t *testing.T) {
	_, err := resolve(false, flags{recipe: "42/10"}, nil)
	assert.EqualError(t, err, `simtest: -simrecipe: explore: recipe "42/10": branch point 1, "10", is not draw:seed in decimal, such as 1034:99`)
	_, err = resolve(false, flags{recipe: "42/10:7", seed: 3, seedSet: true}, nil)
	assert.EqualError(t, err, "simtest: -simrecipe replays one timeline; drop -simseed, -simseeds and -simfresh")
}
