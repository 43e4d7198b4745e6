package kv_test

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

// TestPlantedBugIsFoundAndReplays runs the replicas with their planted bug
// as a user would, within the default seed count, takes the replay line
// the failure prints, runs that line from the module root under two
// GOMAXPROCS settings, and checks that it replays the same execution: the
// same seed fails the same way, with the same trace hash.
func TestPlantedBugIsFoundAndReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the package's tests as a subprocess")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)

	out := failingRun(t, root, "", "go", "test", "-count=1", "-run", "^TestKV$", "./examples/kv", "-buggy")
	m := replayRE.FindStringSubmatch(out)
	require.NotNil(t, m, "the failure prints a replay line:\n%s", out)
	line := m[1]
	first := traceRE.FindStringSubmatch(out)
	require.NotNil(t, first, out)
	assert.Contains(t, line, "-simseed="+first[1])
	assert.True(t, strings.HasSuffix(line, " -buggy"), "the replay line keeps the test's own flags: %s", line)
	assert.Contains(t, out, "is not linearizable", "the check names the key whose history breaks")

	for _, procs := range []string{"1", "4"} {
		again := failingRun(t, root, procs, "sh", "-c", strings.Replace(line, "go test", "go test -count=1", 1))
		m := traceRE.FindStringSubmatch(again)
		require.NotNil(t, m, again)
		assert.Equal(t, first[1:], m[1:], "GOMAXPROCS=%s: the replay runs the same seed to the same trace", procs)
		assert.Contains(t, again, "1 seed, 0 passed, 1 failed")
	}
}

// failingRun runs a command that is expected to fail as a failing go test
// does, and returns its output.
func failingRun(t *testing.T, dir, procs, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if procs != "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+procs)
	}
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the planted bug fails the test:\n%s", out)
	return string(out)
}
