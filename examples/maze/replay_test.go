package maze_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestExploringKeepsNoRecipe runs TestMaze with -explore twice, as a user
// runs docs/explore.md's command, from a directory outside the module,
// where a Run would keep a failing timeline: neither run keeps one, so
// the second explores the maze again rather than replay the first's.
func TestExploringKeepsNoRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the package's tests as a subprocess")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	for range 2 {
		cmd := exec.Command(self, "-test.run=^TestMaze$", "-test.count=1", "-explore")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "the exploration opens every lock:\n%s", out)
		assert.Contains(t, string(out), "all 4 locks are open")
		assert.NotContains(t, string(out), "kept from earlier failures")
	}
	kept, err := filepath.Glob(filepath.Join(dir, "testdata", "simtest", "TestMaze", "*"))
	require.NoError(t, err)
	assert.Empty(t, kept, "an exploration of the maze keeps no recipe")
}
