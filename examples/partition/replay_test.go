package partition_test

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

// TestNaiveClientFailsAndReplays runs the test with the naive client, as a
// user would, checks that a partition broke it, then runs the replay line
// it printed under two GOMAXPROCS settings and checks that the same seed
// fails the same way, to the same trace hash.
func TestNaiveClientFailsAndReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the package's tests as a subprocess")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)

	out := failingRun(t, root, "", "go", "test", "-count=1", "-run", "^TestPingUnderPartitions$", "./examples/partition", "-naive")
	assert.Contains(t, out, "net: random partition", "the story names the partition:\n%s", out)
	assert.Contains(t, out, "i/o timeout", "the naive client gave up on a timeout:\n%s", out)
	m := replayRE.FindStringSubmatch(out)
	require.NotNil(t, m, "the failure prints a replay line:\n%s", out)
	line := m[1]
	first := traceRE.FindStringSubmatch(out)
	require.NotNil(t, first, out)
	assert.Contains(t, line, "-simseed="+first[1])
	assert.True(t, strings.HasSuffix(line, " -naive"), line)

	for _, procs := range []string{"1", "2"} {
		again := failingRun(t, root, procs, "sh", "-c", strings.Replace(line, "go test", "go test -count=1", 1))
		m := traceRE.FindStringSubmatch(again)
		require.NotNil(t, m, again)
		assert.Equal(t, first[1:], m[1:], "GOMAXPROCS=%s: the replay runs the same seed to the same trace", procs)
	}
}

// failingRun runs a command that should fail as a failing go test does,
// and returns its output.
func failingRun(t *testing.T, dir, procs, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if procs != "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+procs)
	}
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the naive client fails the test:\n%s", out)
	return string(out)
}
