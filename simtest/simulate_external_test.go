package simtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestSimulateStopsAtTheFirstFailingSeed(t *testing.T) {
	res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1))
	require.False(t, res.OK())
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, res.Seeds-1, res.Passed)
	assert.Equal(t, []uint64{res.FirstFailing}, res.Failing())
	assert.Contains(t, res.Report, "replay: simtest.Replay(")
	assert.Contains(t, res.Report, "the planted bug fired")

	again := simtest.Simulate(rareBug, simtest.Replay(res.FirstFailing), simtest.BaseSeed(1)) // the base gives the seed its place
	assert.Equal(t, 1, again.Seeds)
	assert.Equal(t, 1, again.Failed, "the replay fails again")
	assert.Equal(t, res.PerSeed[len(res.PerSeed)-1], again.PerSeed[0], "the same run: trace, time, steps")
}

func TestSimulatePasses(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { s.Sleep(1) }, simtest.Seeds(5))
	assert.True(t, res.OK(), res.Report)
	assert.Equal(t, 5, res.Passed)
	assert.Empty(t, res.Replay)
	assert.Contains(t, res.String(), "5 seeds, 5 passed, 0 failed")
}

// Simulate's report points to what a Simulate has, not to the flags of
// go test, which it reads none of.
func TestSimulatesReportNamesWhereEverySeedIs(t *testing.T) {
	idle := func(s *simtest.S) { s.Sleep(1) }
	res := simtest.Simulate(idle, simtest.Seeds(20))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "... 14 seeds more; Result.PerSeed has every seed, and simtest.Verbose() lists them in the report")
	assert.NotContains(t, res.Report, "-simv")
	assert.Len(t, res.PerSeed, 20)

	verbose := simtest.Simulate(idle, simtest.Seeds(20), simtest.Verbose())
	assert.Equal(t, 20, strings.Count(verbose.Report, "seed="), "Verbose lists every seed, as the report says")

	// Past the failing seeds it lists, the summary says where the rest are.
	failing := simtest.Simulate(func(s *simtest.S) { s.Fatal("planted") }, simtest.Seeds(25), simtest.KeepGoing())
	assert.Contains(t, failing.Report, "... and 5 more (Result.PerSeed has every seed")
	assert.NotContains(t, failing.Report, "-simresults")
}

func TestSimulateBadInput(t *testing.T) {
	res := simtest.Simulate(nil)
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest.Simulate: the body is nil")

	res = simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(0))
	assert.False(t, res.OK())
	assert.Zero(t, res.Seeds)
	assert.Contains(t, res.Report, "simtest.Seeds(0)")
}

func TestSimulateSkip(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { s.Skip("not today") })
	assert.True(t, res.Skipped)
	assert.True(t, res.OK())
	assert.Contains(t, res.Report, "not today")
}

// A body given to Simulate reaches the methods of testing.TB its S passes
// on to the test, as under Run: a temporary directory and an environment
// variable that last until Simulate ends, the working directory, and
// Attr, whose lines join the Report.
func TestSimulateGivesTheBodyTheTestsMethods(t *testing.T) {
	const key = "MOONPOOL_SIMULATE_TB_TEST"
	require.NoError(t, os.Unsetenv(key))
	wd, err := os.Getwd()
	require.NoError(t, err)
	var dirs []string
	var env, inDir string
	res := simtest.Simulate(func(s *simtest.S) {
		dir := s.TempDir()
		require.NoError(s, os.WriteFile(filepath.Join(dir, "state"), []byte("x"), 0o600))
		dirs = append(dirs, dir)
		s.Setenv(key, "on")
		env = os.Getenv(key)
		s.Chdir(dir)
		inDir, _ = os.Getwd()
		s.Attr("suite", "simulate")
	}, simtest.Seeds(2))
	require.True(t, res.OK(), res.Report)
	require.Len(t, dirs, 2)
	assert.NotEqual(t, dirs[0], dirs[1], "each call makes a directory of its own")
	assert.Equal(t, "on", env)
	assert.Equal(t, dirs[1], inDir)
	for _, dir := range dirs {
		assert.NoDirExists(t, dir, "removed when Simulate ended")
	}
	_, set := os.LookupEnv(key)
	assert.False(t, set, "unset again when Simulate ended")
	now, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, wd, now, "back in the working directory when Simulate ended")
	assert.Contains(t, res.Report, "=== ATTR  Simulate suite simulate")
}

func TestSimulateTempDirThatCannotBeMadeFailsTheSeed(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	res := simtest.Simulate(func(s *simtest.S) { s.TempDir() }, simtest.Seeds(1))
	assert.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "TempDir cannot make a directory")
}
