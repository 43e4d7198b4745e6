//simvet:outside runs go test in a subprocess, from a test, never in a simulation
package maze_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	replayRE = regexp.MustCompile(`replay: (go test .*)`)
	traceRE  = regexp.MustCompile(`seed=(\d+) trace=([0-9a-f]{16}) FAIL`)
)

// TestFailingTimelineReplays explores the maze as a user would, with
// -explore, and runs the replay line it prints twice, under GOMAXPROCS=1
// and 4: each run is the failing timeline again, to the same trace hash.
func TestFailingTimelineReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the package's tests as a subprocess")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	out := failing(t, root, "", "go", "test", "-count=1", "-run", "^TestMaze$", "./examples/maze", "-explore", "-simkeep=false")
	m := replayRE.FindStringSubmatch(out)
	require.NotNil(t, m, "the failure prints a replay line:\n%s", out)
	assert.Contains(t, m[1], " -simrecipe=")
	assert.Contains(t, out, "all 4 locks are open")
	first := traceRE.FindStringSubmatch(out)
	require.NotNil(t, first, out)
	for _, procs := range []string{"1", "4"} {
		again := failing(t, root, procs, "sh", "-c", strings.Replace(m[1], "go test", "go test -count=1", 1))
		got := traceRE.FindStringSubmatch(again)
		require.NotNil(t, got, again)
		assert.Equal(t, first[1:], got[1:], "GOMAXPROCS=%s: the replay runs the same timeline to the same trace", procs)
		assert.Contains(t, again, "all 4 locks are open")
	}
}

func failing(t *testing.T, dir, procs, name string, args ...string) string {
	t.Helper()
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = os.Environ()
	if procs != "" {
		c.Env = append(c.Env, "GOMAXPROCS="+procs)
	}
	out, err := c.CombinedOutput()
	require.Error(t, err, "the run fails:\n%s", out)
	return string(out)
}
