// Package replaytest checks, for the examples' own tests, that a planted
// bug is found and that the replay line printed for it replays the same
// execution: the same seed fails again, to the same trace hash, whatever
// GOMAXPROCS.
//
//simvet:production runs go test in a subprocess, from a test, never in a simulation
package replaytest

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

// Found runs the test called name of the package pkg (a path from the
// module root, such as "./examples/kv"), which is the calling test's own,
// with flags, as go test runs it, and expects it to fail. It takes the
// replay line the failure printed, checks that it names the package and
// the failing seed (or, for an exploration, the failing timeline's
// recipe) and keeps flags, runs it from the module root as a user would,
// and checks that it fails on the same seed with the same trace. The test
// runs under GOMAXPROCS=4 and its replay under GOMAXPROCS=1, so one replay
// shows both that the line replays and that the trace does not depend on
// GOMAXPROCS. It returns the test's output. Under -short it skips the
// test: it runs the package's tests as a subprocess, and go test builds
// them again for the replay.
//
// The first run is this test binary's own, run again: it is the binary go
// test would build for it, and the go command, which links a test binary
// anew at each go test, is paid for once, by the replay.
func Found(t *testing.T, pkg, name string, flags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the package's tests as a subprocess")
	}
	root := moduleRoot(t)
	self, err := os.Executable()
	require.NoError(t, err)
	wd, err := os.Getwd()
	require.NoError(t, err)
	// The flags go test gives a test binary it runs, and the user's.
	// -simkeep=false: a planted bug's seed is no regression to keep in the
	// package's testdata, where later runs of the fixed code would replay it.
	args := append([]string{"-test.paniconexit0", "-test.timeout=10m0s", "-test.count=1", "-test.run=^" + name + "$"}, flags...)
	args = append(args, "-simkeep=false")
	out := failingRun(t, wd, "4", self, args...)
	m := replayRE.FindStringSubmatch(out)
	require.NotNil(t, m, "the failure prints a replay line:\n%s", out)
	line := m[1]
	first := traceRE.FindStringSubmatch(out)
	require.NotNil(t, first, "the report gives the failing seed's trace:\n%s", out)
	assert.Contains(t, line, " "+pkg+" ", "the replay line names the package")
	// A plain seed replays with -simseed, an exploration's timeline with
	// -simrecipe, whose recipe starts with the seed.
	assert.Regexp(t, ` -sim(seed=|recipe=)`+first[1]+`\b`, line)
	for _, f := range flags {
		assert.Contains(t, line, " "+f, "the replay line keeps the test's own flags")
	}
	again := failingRun(t, root, "1", "sh", "-c", strings.Replace(line, "go test", "go test -count=1", 1)+" -simkeep=false")
	m = traceRE.FindStringSubmatch(again)
	require.NotNil(t, m, again)
	assert.Equal(t, first[1:], m[1:], "the replay, under GOMAXPROCS=1, runs the seed that failed under GOMAXPROCS=4 to the same trace")
	assert.Contains(t, again, "1 seed, 0 passed, 1 failed")
	return out
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
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
	require.Error(t, err, "the planted bug fails the test:\n%s", out)
	return string(out)
}
