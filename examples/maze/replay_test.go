package maze_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestFailingTimelineReplays explores the maze as a user would, with
// -explore under GOMAXPROCS=4, and runs the replay line it prints under
// GOMAXPROCS=1: the failing timeline again, to the same trace hash.
func TestFailingTimelineReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/maze", "TestMaze", "-explore")
	assert.Contains(t, out, " -simrecipe=")
	assert.Contains(t, out, "all 4 locks are open")
}
