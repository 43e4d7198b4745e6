package simtest_test

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/internal/gaplib"
)

// unenteredLine is the report's line of the assertions no seed reached in
// files that no seed entered.
var unenteredLine = regexp.MustCompile(`not reached, in code of the same packages that no seed entered, in a test file's workload methods and helpers, which other tests may call, or that ran only with its assertions given a context without the simulation \(they may belong to other tests; not counted as gaps\): rare\.go:\d+ Reachable "the rare branch was taken"`)

// An assertion no seed reached, in a file of a package the Run entered
// through another of its files, is listed under the table, where it does
// not fail the test: the file may be another test's code.
func TestUnreachedAssertionsOfFilesNoSeedEnteredAreListed(t *testing.T) {
	r := runIn("TestUnentered", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			gaplib.Step(s.Context())
			gaplib.Rare(s.Context(), s.Providers().Random.IntN(10))
		}, simtest.Seeds(5))
	})
	out := r.output()
	require.False(t, r.failed, "not a gap: %s", out)
	assert.Regexp(t, unenteredLine, out)
	assert.Contains(t, out, "assertions: 1, 0 failed, 0 gaps", "the table is the file entered's")
}

// An assertion given context.Background() in code every seed ran is not
// said to be in code no seed entered: it has a line of its own, which
// says why it was never counted and how to fix it.
func TestAnAssertionGivenNoSimulationIsToldApart(t *testing.T) {
	r := runIn("TestUnenteredSimless", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			gaplib.Step(s.Context())
			gaplib.Elect(s.Context())
		}, simtest.Seeds(3))
	})
	out := r.output()
	require.False(t, r.failed, "not a gap: %s", out)
	assert.Regexp(t, `\n    never counted, given a context that carries no simulation, whether or not their code ran `+
		`\(pass them the task's ctx, or one made from it; simvet's assertctx finds such calls\): `+
		`elect\.go:\d+ Sometimes "a new leader is elected" \(context\.Background\(\)\)\n`, out)
	assert.Regexp(t, unenteredLine, out, "rare.go's, which no seed entered, as before")
	assert.NotRegexp(t, `not reached, in code[^\n]*a new leader is elected`, out)
}

// A merge lists what a shard found in files no seed entered, unless
// another shard reached it.
func TestMergeDropsTheUnenteredCallsAnotherShardReached(t *testing.T) {
	dir := t.TempDir()
	shard := func(i int, n int) string {
		path := filepath.Join(dir, "shards", "")
		res := simtest.Simulate(func(s *simtest.S) {
			gaplib.Step(s.Context())
			gaplib.Rare(s.Context(), n)
		}, simtest.Seeds(6), simtest.BaseSeed(3), simtest.Shard(i, 2), simtest.ResultsFile(path+"/"))
		require.True(t, res.OK(), res.Report)
		files, err := filepath.Glob(filepath.Join(path, "*.jsonl"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		return path
	}
	path := shard(0, 1)
	alone, err := simtest.MergeResults(path)
	require.NoError(t, err)
	require.Len(t, alone.Tests, 1)
	assert.Regexp(t, unenteredLine, alone.Tests[0].Report, "the one shard's")

	shard(1, 2000)
	merged, err := simtest.MergeResults(path)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	rep := merged.Tests[0].Report
	assert.NotRegexp(t, unenteredLine, rep, "shard 1 reached it")
	assert.Regexp(t, `ok\s+Reachable\s+\d+\s+0\s+\d+\s+.*"the rare branch was taken"`, rep)
}

// A message that simtest.AllowGaps names, of a call in a file no seed
// entered, names an assertion: the log does not call it a mistake.
func TestAllowGapsKnowsTheUnenteredMessages(t *testing.T) {
	r := runIn("TestUnenteredAllowed", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			gaplib.Step(s.Context())
		}, simtest.Seeds(3), simtest.AllowGaps("the rare branch was taken"))
	})
	out := r.output()
	require.False(t, r.failed, out)
	assert.Regexp(t, unenteredLine, out)
	assert.NotContains(t, out, "simtest.AllowGaps names")
}

// A Sometimes in a method of a workload declared in a _test.go file of
// its own, in a branch no seed takes, is listed under the table: the
// Run's body names the workload's type. It is no gap, since another test
// of the package may be the one that uses it.
func TestAnUnreachedAssertionOfAWorkloadDeclaredApartIsListed(t *testing.T) {
	r := runIn("TestUnenteredWorkload", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assertions.Sometimes(s.Context(), true, "the body ran")
			c := s.Boot(simtest.Processes{Name: "p", New: waiting})
			c.Run(simtest.Phases{Chaos: time.Second}, rareCheck{n: 1})
		}, simtest.Seeds(3), simtest.Chaos(chaos.Off())) // its Run returns at once: no chaos to miss
	})
	out := r.output()
	require.False(t, r.failed, "not a gap: %s", out)
	assert.Contains(t, out, "assertions: 1, 0 failed, 0 gaps", out)
	assert.Regexp(t, `\n    not reached, in code of the same packages that no seed entered, in a test file's workload methods and helpers, which other tests may call, or that ran only with its assertions given a context without the simulation \(they may belong to other tests; not counted as gaps\): `+
		`(.*, )?unentered_workload_external_test\.go:\d+ Sometimes "a check met a thousand"`, out)
}
