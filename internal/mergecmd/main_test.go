package mergecmd_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/mergecmd"
	"github.com/moonpool-go/moonpool/simtest"
)

func run(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := mergecmd.Main(args, &out, &errs)
	return code, out.String(), errs.String()
}

// rare fails one seed in about twenty.
func rare(s *simtest.S) {
	s.Sleep(time.Duration(s.Providers().Random.IntN(1000)) * time.Millisecond)
	if s.Providers().Random.IntN(20) == 0 {
		s.Errorf("an acknowledged write was lost")
	}
}

// shards writes the results of n shards of a sweep of rare into dir.
func shards(t *testing.T, dir string, n int, body func(*simtest.S)) {
	for i := range n {
		simtest.Simulate(body, simtest.Seeds(100), simtest.BaseSeed(11), simtest.KeepGoing(), simtest.Shard(i, n), simtest.ResultsFile(dir+"/"))
	}
}

func TestUsageWithoutArguments(t *testing.T) {
	code, out, errs := run()
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.True(t, strings.HasPrefix(errs, "usage: moonpool-merge [-o file] results..."), errs)
	assert.Contains(t, errs, "-o file")
}

func TestMergeReportsFailingSeeds(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 3, rare)
	report := filepath.Join(t.TempDir(), "report.txt")
	code, out, errs := run("-o", report, dir)
	assert.Equal(t, 1, code, "a failing seed fails the merge")
	assert.Empty(t, errs)
	assert.Contains(t, out, "=== Simulate: 3 results files of 3 merged, base seed 11")
	assert.Contains(t, out, "simtest: 100 seeds, ")
	assert.Contains(t, out, "each with its first failure and replay line:")
	assert.Contains(t, out, "an acknowledged write was lost\n          simtest.Replay(")
	written, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Equal(t, out, string(written))
}

// TestFlagsComeBeforeOrAfterTheResults: a flag after the results is
// taken as the flag, not as a path; after "--", everything is a path.
func TestFlagsComeBeforeOrAfterTheResults(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	for _, args := range [][]string{
		{"-o", "REPORT", dir},
		{dir, "-o", "REPORT"},
		{dir, "-o=REPORT"},
		{filepath.Join(dir, "Simulate.shard-0-of-2.jsonl"), "-o", "REPORT", filepath.Join(dir, "Simulate.shard-1-of-2.jsonl")},
	} {
		report := filepath.Join(t.TempDir(), "report.txt")
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "REPORT", report)
		}
		code, out, errs := run(args...)
		assert.Equal(t, 0, code, "%v: %s", args, errs)
		assert.Contains(t, out, "=== Simulate: 2 results files of 2 merged", args)
		written, err := os.ReadFile(report)
		require.NoError(t, err, args)
		assert.Equal(t, out, string(written), args)
	}

	// After "--", an argument that looks like a flag is a path.
	t.Chdir(dir)
	require.NoError(t, os.Rename("Simulate.shard-1-of-2.jsonl", "-o"))
	code, out, errs := run("Simulate.shard-0-of-2.jsonl", "--", "-o")
	assert.Equal(t, 0, code, errs)
	assert.Contains(t, out, "=== Simulate: 2 results files of 2 merged", errs)

	code, _, errs = run(dir, "-x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "flag provided but not defined: -x")
}

// TestDashIsStandardOutput: "-o -" writes the report to standard output
// once, and no file called "-"; "./-" names that file.
func TestDashIsStandardOutput(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	t.Chdir(t.TempDir())
	code, want, errs := run(dir)
	require.Equal(t, 0, code, errs)
	for _, args := range [][]string{{"-o", "-", dir}, {dir, "-o", "-"}, {dir, "-o=-"}} {
		code, out, errs := run(args...)
		assert.Equal(t, 0, code, "%v: %s", args, errs)
		assert.Equal(t, want, out, args)
		_, err := os.Stat("-")
		assert.ErrorIs(t, err, fs.ErrNotExist, "%v wrote a file called -", args)
	}
	code, out, errs := run("-o", "./-", dir)
	assert.Equal(t, 0, code, errs)
	written, err := os.ReadFile("-")
	require.NoError(t, err)
	assert.Equal(t, out, string(written))
}

func TestMergePasses(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	code, out, _ := run(dir)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "100 seeds, 100 passed, 0 failed")
}

func TestMergeErrors(t *testing.T) {
	code, _, errs := run(filepath.Join(t.TempDir(), "absent.jsonl"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "moonpool-merge: merging results: stat ")

	code, _, errs = run("-simseeds=3", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "flag provided but not defined: -simseeds", "the command takes no test flags")
}

// TestACutShardExitsAsAMissingOne: a shard killed mid-run leaves its file
// cut in the middle of a line; the merge reports the other shards and
// exits 1, as for a missing shard, not 2.
func TestACutShardExitsAsAMissingOne(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	cut := filepath.Join(dir, "Simulate.shard-1-of-2.jsonl")
	data, err := os.ReadFile(cut)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cut, data[:len(data)/2], 0o666))
	code, out, errs := run(dir)
	assert.Equal(t, 1, code, errs)
	assert.Empty(t, errs)
	assert.Contains(t, out, "=== Simulate: 1 results file of 2 merged")
	assert.Contains(t, out, "simtest: missing shards: [1] of 2")
	assert.Contains(t, out, "simtest: shard 1 of 2 was cut off: "+cut+" ends in the middle of line ")
	assert.Contains(t, out, "simtest: 50 seeds, 50 passed, 0 failed")
}

// TestAShardAtItsTimeoutFailsTheMerge: a shard that stopped before its
// go test -timeout ran part of its seeds; the merge exits 1.
func TestAShardAtItsTimeoutFailsTheMerge(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	path := filepath.Join(dir, "Simulate.shard-0-of-2.jsonl")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	stopped := strings.Replace(string(data), `{"summary":{`, `{"summary":{"stopped_by":"go test's -timeout","cut_short":true,"seeds_planned":80,`, 1)
	require.NotEqual(t, string(data), stopped)
	require.NoError(t, os.WriteFile(path, []byte(stopped), 0o666))
	code, out, errs := run(dir)
	assert.Equal(t, 1, code, errs)
	assert.Contains(t, out, "simtest: 1 of 2 shards ended at their go test's -timeout (go test -timeout): the seeds are those they reached; shards [0] did not run all their seeds (shard 0 ran 50 of the 80 it was given), which fails the merge")
}
