package simtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeptSeedsRoundTrip(t *testing.T) {
	t.Chdir(t.TempDir())
	seeds, err := keptSeeds("TestX/sub")
	require.NoError(t, err)
	assert.Empty(t, seeds)

	require.NoError(t, keepSeed("TestX/sub", 42, "deadlock at 1s\nmore", "go test ..."))
	require.NoError(t, keepSeed("TestX/sub", 7, "boom", "go test ..."))
	require.NoError(t, keepSeed("TestX/sub", 42, "again", "go test ..."), "keeping a kept seed is a no-op")
	require.NoError(t, os.WriteFile(filepath.Join(keepDir, "TestX", "sub", "README"), []byte("notes"), 0o644))

	seeds, err = keptSeeds("TestX/sub")
	require.NoError(t, err)
	assert.Equal(t, []uint64{7, 42}, seeds)
	b, err := os.ReadFile(filepath.Join(keepDir, "TestX", "sub", "42"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "# deadlock at 1s\n")
	assert.NotContains(t, string(b), "again")
}

// TestFailingSeedIsKeptAndRunFirst runs a failing test in a child process
// twice, in a scratch directory: the first run keeps its failing seed, the
// second runs it first.
func TestFailingSeedIsKeptAndRunFirst(t *testing.T) {
	if os.Getenv("SIMTEST_KEEP_CHILD") != "" {
		Run(t, func(s *S) {
			if s.Providers().Random.IntN(3) == 0 {
				s.Errorf("one seed in three fails")
			}
		})
		return
	}
	dir := t.TempDir()
	run := func() string {
		out, _ := childOutput(t, dir, "SIMTEST_KEEP_CHILD=1", "-test.run=^TestFailingSeedIsKeptAndRunFirst$", "-test.v")
		return out
	}
	first := run()
	seeds, err := keptSeedsIn(dir, "TestFailingSeedIsKeptAndRunFirst")
	require.NoError(t, err)
	require.Len(t, seeds, 1, first)
	second := run()
	assert.Contains(t, second, "running 1 seed kept from earlier failures first")
	assert.Contains(t, second, "1 seed, 0 passed, 1 failed", "the kept seed fails again, first")
}

func keptSeedsIn(dir, name string) ([]uint64, error) {
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(dir); err != nil {
		return nil, err
	}
	return keptSeeds(name)
}
