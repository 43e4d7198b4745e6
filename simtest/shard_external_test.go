package simtest_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
)

// naps is a cheap body whose trace depends on its seed.
func naps(s *simtest.S) {
	s.Sleep(time.Duration(s.Providers().Random.IntN(100)) * time.Millisecond)
}

func TestShardsRunEverySeedOnce(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seeds := rapid.IntRange(1, 60).Draw(rt, "seeds")
		n := rapid.IntRange(1, 8).Draw(rt, "shards")
		whole := simtest.Simulate(naps, simtest.Seeds(seeds), simtest.BaseSeed(7))
		require.True(rt, whole.OK(), whole.Report)
		var got []simtest.SeedResult
		for i := range n {
			part := simtest.Simulate(naps, simtest.Seeds(seeds), simtest.BaseSeed(7), simtest.Shard(i, n))
			require.True(rt, part.OK(), part.Report)
			got = append(got, part.PerSeed...)
		}
		require.Len(rt, got, seeds, "the shards run as many seeds as the whole")
		want := slices.Clone(whole.PerSeed)
		slices.SortFunc(want, func(a, b simtest.SeedResult) int { return cmpSeed(a.Seed, b.Seed) })
		slices.SortFunc(got, func(a, b simtest.SeedResult) int { return cmpSeed(a.Seed, b.Seed) })
		require.Equal(rt, want, got, "the same seeds, none twice, each with the same trace")
	})
}

func cmpSeed(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestShardTakesEveryNthSeed(t *testing.T) {
	whole := simtest.Simulate(naps, simtest.Seeds(10), simtest.BaseSeed(3))
	part := simtest.Simulate(naps, simtest.Seeds(10), simtest.BaseSeed(3), simtest.Shard(1, 4))
	require.Len(t, part.PerSeed, 3)
	for k, sr := range part.PerSeed {
		assert.Equal(t, whole.PerSeed[1+4*k], sr, "place %d of the sequence", 1+4*k)
	}
	assert.Contains(t, part.Report, "shard 1 of 4: the seeds at places 1, 5, 9... of the sequence")
	assert.NotContains(t, whole.Report, "shard")
}

// A replay runs its seed whatever the shard, and neither its report nor
// its results file passes for the shard's.
func TestReplayIsNoShard(t *testing.T) {
	whole := simtest.Simulate(naps, simtest.Seeds(10), simtest.BaseSeed(3))
	seed := whole.PerSeed[2].Seed
	dir := t.TempDir() + "/"
	res := simtest.Simulate(naps, simtest.Replay(seed), simtest.Shard(1, 4), simtest.ResultsFile(dir))
	require.Len(t, res.PerSeed, 1)
	assert.Equal(t, whole.PerSeed[2].Trace, res.PerSeed[0].Trace)
	assert.NotContains(t, res.Report, "shard")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.NotContains(t, filepath.Base(files[0]), "shard")
}

func TestShardOfOneIsTheWhole(t *testing.T) {
	whole := simtest.Simulate(naps, simtest.Seeds(5), simtest.BaseSeed(3))
	one := simtest.Simulate(naps, simtest.Seeds(5), simtest.BaseSeed(3), simtest.Shard(0, 1))
	assert.Equal(t, whole.PerSeed, one.PerSeed)
}

func TestBadShard(t *testing.T) {
	for _, tc := range []struct {
		opt  simtest.Option
		want string
	}{
		{simtest.Shard(4, 4), "simtest.Shard(4, 4): the shard is counted from 0 and must be below the number of shards; give 0 to 3"},
		{simtest.Shard(-1, 2), "simtest.Shard(-1, 2): the shard is counted from 0"},
		{simtest.Shard(0, 0), "simtest.Shard(0, 0): the number of shards must be at least 1"},
	} {
		res := simtest.Simulate(naps, tc.opt)
		assert.False(t, res.OK())
		assert.Contains(t, res.Report, tc.want)
	}
}

func TestShardsSplitAnExplorationsRoots(t *testing.T) {
	cfg := explore.Defaults()
	cfg.Timelines = 12
	// naps asserts nothing, so nothing is branched: every timeline is a root.
	whole := simtest.Simulate(naps, simtest.BaseSeed(3), simtest.Seeds(36))
	part := simtest.Simulate(naps, simtest.BaseSeed(3), simtest.Explore(cfg), simtest.Shard(1, 3))
	require.Len(t, part.PerSeed, 12, "the shard's whole budget of timelines")
	for k, sr := range part.PerSeed {
		assert.Equal(t, whole.PerSeed[1+3*k].Seed, sr.Seed, "root %d is the seed at place %d", k, 1+3*k)
	}
}

// TestKeptSeedsRunInShardZero keeps a seed for a test and runs it as two
// shards: shard 0 runs the kept seed first, with a place before the
// sequence's, and shard 1 does not run it.
func TestKeptSeedsRunInShardZero(t *testing.T) {
	t.Chdir(t.TempDir())
	runs := twoShardsKeeping(t, "TestKeptShard", 12345)
	require.Len(t, runs[0], 4, "the kept seed and three of the sequence")
	assert.Equal(t, uint64(12345), runs[0][0], "the kept seed runs first")
	assert.NotContains(t, runs[1], uint64(12345))
	assert.Len(t, runs[1], 3)

	sw, err := simtest.MergeResults("results")
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	assert.Equal(t, 7, sw.Tests[0].Seeds)
	assert.Contains(t, sw.Tests[0].Report, "\n    seed=12345 trace=", "the kept seed is first in the merged report too")
	assert.Contains(t, strings.SplitN(sw.Tests[0].Report, "\n    seed=", 3)[1], "12345")
}

// A kept seed that is also in the sweep's sequence runs once across the
// shards, as in one process: shard 0 runs it first, and the shard whose
// part of the sequence holds it passes over it.
func TestAKeptSeedInTheSequenceRunsOnceAcrossShards(t *testing.T) {
	t.Chdir(t.TempDir())
	var sequence []uint64
	runIn("TestKeptTwice", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { sequence = append(sequence, s.Seed()) }, simtest.Seeds(6), simtest.BaseSeed(3))
	})
	require.Len(t, sequence, 6)
	kept := sequence[3] // in shard 1's part of two shards
	runs := twoShardsKeeping(t, "TestKeptTwice", kept)
	assert.Equal(t, kept, runs[0][0], "shard 0 runs the kept seed first")
	assert.NotContains(t, runs[1], kept, "the shard whose part holds it passes over it")
	assert.ElementsMatch(t, sequence, append(runs[0], runs[1]...), "every seed of the sequence once")

	sw, err := simtest.MergeResults("results")
	require.NoError(t, err)
	assert.Equal(t, 6, sw.Tests[0].Seeds, "as one process runs them")
}

// twoShardsKeeping keeps seed for test, in the current directory, and
// runs the test's six seeds of base 3 as two shards that write their
// results under results/: the seeds each shard ran, in order.
func twoShardsKeeping(t *testing.T, test string, seed uint64) (runs [2][]uint64) {
	t.Helper()
	dir := filepath.Join("testdata", "simtest", test)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, strconv.FormatUint(seed, 10)), []byte("# kept\n"), 0o644))
	for i := range 2 {
		r := runIn(test, func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) { runs[i] = append(runs[i], s.Seed()) },
				simtest.Seeds(6), simtest.BaseSeed(3), simtest.Shard(i, 2), simtest.ResultsFile("results/"))
		})
		require.False(t, r.failed, r.output())
	}
	return runs
}

// TestReportsTellTheKeptSeeds: a kept seed runs among the Run's seeds, and
// the summary, one process's and the merge's, says how many of the seeds
// were kept ones and which failing seeds were, leaves them out of the
// failure rate and marks the group of failures that holds one as known:
// a known bug's kept seed would otherwise read as the sweep's finding.
func TestReportsTellTheKeptSeeds(t *testing.T) {
	t.Chdir(t.TempDir())
	const seed = 12345
	dir := filepath.Join("testdata", "simtest", "TestKeptFails")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, strconv.FormatUint(seed, 10)), []byte("# kept\n"), 0o644))
	var outs []string
	for i := range 2 {
		r := runIn("TestKeptFails", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				switch {
				case s.Seed() == seed:
					s.Errorf("the known bug")
				case s.Seed()%2 == 0:
					s.Errorf("a new bug")
				}
			}, simtest.Seeds(6), simtest.BaseSeed(3), simtest.KeepGoing(), simtest.KeepFailures(false), simtest.Shard(i, 2), simtest.ResultsFile("results/"))
		})
		outs = append(outs, r.output())
	}
	assert.Contains(t, outs[0], "\nsimtest: 4 seeds, of them 1 kept seed from testdata/simtest, 2 passed, 2 failed; ")
	assert.Contains(t, outs[0], "\n        seed 12345 (kept in testdata/simtest): ")
	assert.Contains(t, outs[1], "\nsimtest: 3 seeds, 3 passed, 0 failed; ", "shard 1 runs no kept seed")

	sw, err := simtest.MergeResults("results")
	require.NoError(t, err)
	rep := sw.Tests[0].Report
	assert.Contains(t, rep, "\nsimtest: 7 seeds, of them 1 kept seed from testdata/simtest, 5 passed, 2 failed; ")
	assert.Contains(t, rep, "\n        seed 12345 (kept in testdata/simtest): ")
	// The rate is the new seeds', and the known bug's group says it is.
	assert.Contains(t, rep, "\n    failing seeds: 2 of 7, 1 of them kept (16.67% of the other 6), their first failures in 2 places:")
	assert.Contains(t, rep, "\n        1 seed like seed 12345 (known: kept in testdata/simtest/TestKeptFails/12345): 0s driver: shard_external_test.go:")
	require.Len(t, sw.Tests[0].Groups, 2)
	assert.True(t, sw.Tests[0].Groups[0].Known())
	assert.False(t, sw.Tests[0].Groups[1].Known())
}
