package simtest_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// lossy fails about one seed in eight, and asserts in most ways.
func lossy(s *simtest.S) {
	ctx, p := s.Context(), s.Providers()
	lag := time.Duration(p.Random.IntN(1000)) * time.Millisecond
	s.Sleep(lag)
	assertions.Sometimes(ctx, lag > 900*time.Millisecond, "a slow reply")
	assertions.AlwaysLessThan(ctx, lag, time.Second, "replies come within a second")
	assertions.SometimesGreaterThan(ctx, p.Random.IntN(50), 47, "a deep queue")
	assertions.SometimesAll(ctx, "every replica caught up",
		assertions.Named("a", p.Random.IntN(2) == 0), assertions.Named("b", p.Random.IntN(2) == 0), assertions.Named("c", p.Random.IntN(3) == 0))
	assertions.SometimesEach(ctx, "leader per term", "leader", p.Random.IntN(3))
	if p.Random.IntN(8) == 0 {
		s.Errorf("an acknowledged write was lost")
	}
}

// wallFigures are the parts of a report that wall time changes.
var wallFigures = regexp.MustCompile(`wall [^,]+|[0-9.]+[kM]? steps\+events/s|added up is [^\n]+`)

// masked is a report with its wall-clock figures masked, and the hint at
// where every seed is listed made one: a merge names its files, a
// Simulate its Result.
func masked(s string) string {
	for _, every := range []string{"the results files list every seed", "Result.PerSeed has every seed, and simtest.Verbose() lists them in the report"} {
		s = strings.ReplaceAll(s, every, "EVERY")
	}
	return wallFigures.ReplaceAllString(s, "WALL")
}

func TestMergedShardsReportAsOneRun(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(80), simtest.BaseSeed(5), simtest.KeepGoing()}
	one := simtest.Simulate(lossy, append(opts, simtest.ResultsFile(filepath.Join(dir, "one.jsonl")))...)
	require.False(t, one.OK())
	const n = 4
	for i := range n {
		part := simtest.Simulate(lossy, append(opts, simtest.Shard(i, n), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))...)
		require.NotZero(t, part.Seeds)
	}
	files, err := filepath.Glob(filepath.Join(dir, "shards", "*.jsonl"))
	require.NoError(t, err)
	assert.Len(t, files, n, "a file per shard, named for it: %v", files)

	whole, err := simtest.MergeResults(filepath.Join(dir, "one.jsonl"))
	require.NoError(t, err)
	merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	m, w := merged.Tests[0], whole.Tests[0]
	assert.Equal(t, one.Seeds, m.Seeds)
	assert.Equal(t, one.Failed, m.Failed)
	assert.Equal(t, one.Failing(), seedsOf(m.Failing))
	assert.Equal(t, w.Failing, m.Failing)
	assert.False(t, merged.OK())
	for _, f := range m.Failing {
		assert.Equal(t, fmt.Sprintf("simtest.Replay(%d)", f.Seed), f.Replay)
		assert.Contains(t, f.FirstFailure, "an acknowledged write was lost")
	}
	// The same report but for the first line, which tells of the files.
	_, wantBody, _ := strings.Cut(w.Report, "\n")
	head, gotBody, _ := strings.Cut(m.Report, "\n")
	assert.Equal(t, masked(wantBody), masked(gotBody))
	assert.Contains(t, head, "=== Simulate: 4 results files of 4 merged, base seed 5")
	assert.Contains(t, m.Report, "seeds more; the results files list every seed", "a merge's hint names no flag of go test")
	assert.NotContains(t, m.Report, "-simv")

	// And the merge of one Run's file is that Run's own summary.
	summary, _, _ := strings.Cut(wantBody, "\nsimtest: "+fmt.Sprint(one.Failed)+" failing seeds")
	assert.Contains(t, masked(one.Report), masked(summary))
	assert.Contains(t, summary, "assertions: 5, 0 failed")
}

// uneven is lossy with assertions that few seeds reach: one reached in
// about one seed of thirty, one never true, and a call with an empty
// message (a misuse) in about one seed of three.
func uneven(s *simtest.S) {
	ctx, p := s.Context(), s.Providers()
	lossy(s)
	v := p.Random.IntN(30)
	if v == 3 {
		assertions.Sometimes(ctx, true, "rare")
		assertions.Always(ctx, false, "rarely false", "v", v)
		assertions.Unreachable(ctx, "never here")
	}
	assertions.Sometimes(ctx, false, "never true")
	assertions.SometimesEach(ctx, "each", "v", v%7, assertions.Quality{Name: "q", Value: float64(v)})
	assertions.AlwaysGreaterThanOrEqual(ctx, v, 1, "ge one")
	if v > 20 {
		assertions.Reachable(ctx, "")
	}
	// Bytes that are not UTF-8, which JSON keeps as U+FFFD.
	assertions.Sometimes(ctx, v == 4, "a byte \xff that is not UTF-8")
	assertions.SometimesAll(ctx, "never all \xfe", assertions.Named("c\xff", v == 1), assertions.Named("d", v == 2))
	if v == 5 {
		s.Errorf("a write was lost \xe2\x82 there")
	}
}

// TestAnySplitIntoShardsMergesAsOneRun: whatever the number of shards
// and seeds, and the workers of each shard, the merged report is the one
// of one Run of all the seeds.
func TestAnySplitIntoShardsMergesAsOneRun(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(rt, "shards")
		seeds := rapid.IntRange(1, 25).Draw(rt, "seeds")
		base := rapid.Uint64Range(1, 1000).Draw(rt, "base")
		workers := rapid.IntRange(1, 2).Draw(rt, "workers")
		dir := t.TempDir()
		opts := []simtest.Option{simtest.Seeds(seeds), simtest.BaseSeed(base), simtest.KeepGoing(), simtest.ZeroWallClock()}
		one := simtest.Simulate(uneven, append(opts, simtest.ResultsFile(filepath.Join(dir, "one.jsonl")))...)
		for i := range n {
			simtest.Simulate(uneven, append(opts, simtest.Workers(workers), simtest.Shard(i, n), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"+fmt.Sprint(i)+".jsonl"))...)
		}
		whole, err := simtest.MergeResults(filepath.Join(dir, "one.jsonl"))
		require.NoError(rt, err)
		merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
		require.NoError(rt, err)
		_, w, _ := strings.Cut(whole.Tests[0].Report, "\n")
		_, m, _ := strings.Cut(merged.Tests[0].Report, "\n")
		require.Equal(rt, masked(w), masked(m), "the report but for its first line")
		require.Equal(rt, whole.OK(), merged.OK())
		// And the merged summary, with its assertion table, is the one
		// Run's own, and so are its gaps (which a Run with a failing seed
		// does not report) and its failing seeds' first failures.
		summary, rest, _ := strings.Cut(m, "\nsimtest: ")
		require.Contains(rt, masked(one.Report), masked(summary))
		if _, gaps, ok := strings.Cut(rest, "coverage gap"); ok && one.Failed == 0 {
			require.Contains(rt, one.Report, "coverage gap"+gaps)
		}
		var first []string
		for _, sr := range one.PerSeed {
			if sr.Outcome == simtest.OutcomeFail {
				first = append(first, sr.FirstFailure)
			}
		}
		var mergedFirst []string
		for _, f := range merged.Tests[0].Failing {
			mergedFirst = append(mergedFirst, f.FirstFailure)
		}
		require.Equal(rt, first, mergedFirst)
	})
}

func seedsOf(rs []simtest.SeedResult) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Seed)
	}
	return out
}

func TestMergeFindsMissingAndDoubleShards(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(12), simtest.BaseSeed(5), simtest.KeepGoing()}
	for _, i := range []int{0, 2} {
		simtest.Simulate(naps, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(filepath.Join(dir, fmt.Sprintf("s%d.jsonl", i))))...)
	}
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	assert.Equal(t, []int{1}, sw.Tests[0].Missing)
	assert.False(t, sw.OK(), "a missing shard fails the merge")
	assert.Contains(t, sw.Tests[0].Report, "simtest: missing shards: [1] of 3; their seeds are not in this report: run them again")

	// A file given twice, by its directory and by itself, or by one
	// path twice, is that and not a shard twice.
	s0 := filepath.Join(dir, "s0.jsonl")
	_, err = simtest.MergeResults(dir, s0)
	assert.EqualError(t, err, "simtest: merging results: "+s0+" is given twice, in "+dir+" and by itself; name each file or directory once")
	_, err = simtest.MergeResults(s0, dir)
	assert.EqualError(t, err, "simtest: merging results: "+s0+" is given twice, by itself and in "+dir+"; name each file or directory once")
	_, err = simtest.MergeResults(dir, dir+"/")
	assert.EqualError(t, err, "simtest: merging results: "+s0+" is given twice, in "+dir+" and in "+dir+"/; name each file or directory once")
	_, err = simtest.MergeResults(s0, s0)
	assert.EqualError(t, err, "simtest: merging results: "+s0+" is given twice, by itself twice; name each file or directory once")

	// A copy of a shard's file is a shard twice.
	data, err := os.ReadFile(s0)
	require.NoError(t, err)
	copied := filepath.Join(t.TempDir(), "copy.jsonl")
	require.NoError(t, os.WriteFile(copied, data, 0o666))
	_, err = simtest.MergeResults(dir, copied)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "are both shard 0 of 3; merge each shard once")

	other := filepath.Join(t.TempDir(), "other.jsonl")
	simtest.Simulate(naps, simtest.Seeds(12), simtest.BaseSeed(6), simtest.Shard(1, 3), simtest.ResultsFile(other))
	_, err = simtest.MergeResults(dir, other)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has base seed 6")
}

func TestMergeRefusesWhatIsNotAResultsFile(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.jsonl")
	require.NoError(t, os.WriteFile(junk, []byte("{\"at\":1}\n"), 0o666))
	_, err := simtest.MergeResults(junk)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "junk.jsonl:1: not a seed's line")

	// A last line that is no JSON is no file cut off when it ends the
	// line, or does not start as a results file's lines do.
	for name, text := range map[string]string{
		"broken.jsonl": `{"seed":1,"trace":"00000000000000ff","outcome":"pass","place":0}` + "\n" + `{"seed":2,"tra` + "\n",
		"text.jsonl":   `{"seed":1,"trace":"00000000000000ff","outcome":"pass","place":0}` + "\n" + `not json`,
	} {
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o666))
		_, err = simtest.MergeResults(path)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name+":2: ", name)
		assert.Contains(t, err.Error(), "is it a -simresults file?", name)
	}

	// A file of another version, with a kind of assertion this one does
	// not know.
	newer := filepath.Join(dir, "newer.jsonl")
	simtest.Simulate(lossy, simtest.Seeds(2), simtest.ResultsFile(newer))
	data, err := os.ReadFile(newer)
	require.NoError(t, err)
	require.Contains(t, string(data), `"kind":"AlwaysLessThan"`)
	require.NoError(t, os.WriteFile(newer, []byte(strings.ReplaceAll(string(data), `"kind":"AlwaysLessThan"`, `"kind":"AlwaysBetween"`)), 0o666))
	_, err = simtest.MergeResults(newer)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `newer.jsonl has an assertion of kind "AlwaysBetween" ("replies come within a second"), which this merge does not know`)

	// A file of another format: an older one, from before the summary
	// said its format (and before seeds had places), whose seeds would
	// merge in the wrong order; one from before an Always had a first
	// pass; one from before -simbase mixed in the test's name; and one
	// of a format to come.
	for _, c := range []struct{ from, to, says string }{
		{`,"format_version":3`, ``, "with no format version"},
		{`,"format_version":3`, `,"format_version":1`, "of format 1"},
		{`,"format_version":3`, `,"format_version":2`, "of format 2"},
		{`,"format_version":3`, `,"format_version":4`, "of format 4"},
	} {
		other := filepath.Join(dir, "other.jsonl")
		require.NoError(t, os.WriteFile(other, []byte(strings.ReplaceAll(string(data), c.from, c.to)), 0o666))
		require.Contains(t, string(data), c.from)
		_, err = simtest.MergeResults(other)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "other.jsonl is a results file "+c.says)
		assert.Contains(t, err.Error(), "run the shard again with this version of moonpool")
	}

	_, err = simtest.MergeResults()
	assert.EqualError(t, err, "simtest.MergeResults: no results files; name the -simresults files (or directories) of the shards to merge")
	_, err = simtest.MergeResults(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no .jsonl file in")
}

// TestMergeTakesACutFileAsAShardCutOff: a Run killed before it ends
// leaves its results file cut, most often in the middle of a line. The
// merge reports its shard as missing, names the file and the line, lists
// its failing seeds, counts none of its seeds, and merges the rest.
func TestMergeTakesACutFileAsAShardCutOff(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(60), simtest.BaseSeed(5), simtest.KeepGoing()}
	var runs []simtest.Result
	for i := range 3 {
		runs = append(runs, simtest.Simulate(lossy, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))...))
	}
	whole := filepath.Join(dir, "Simulate.shard-2-of-3.jsonl")
	data, err := os.ReadFile(whole)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	require.Greater(t, len(lines), 12)
	// The seeds of its first 11 lines, and the failing ones among them.
	var failing []uint64
	for _, r := range runs[2].PerSeed[:11] {
		if r.Outcome == simtest.OutcomeFail {
			failing = append(failing, r.Seed)
		}
	}
	require.NotEmpty(t, failing, "the seeds cut off include a failing one")
	others := runs[0].Seeds + runs[1].Seeds

	for _, c := range []struct {
		name    string
		text    string
		line    int
		midLine bool
		says    string
	}{
		{"in a line", strings.Join(lines[:11], "") + lines[11][:20], 12, true, "ends in the middle of line 12"},
		{"at a line's end", strings.Join(lines[:11], ""), 11, false, "ends after line 11, before its summary line"},
		{"before its summary", strings.Join(lines[:len(lines)-2], "") + lines[len(lines)-2][:40], len(lines) - 1, true, fmt.Sprintf("ends in the middle of line %d", len(lines)-1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(whole, []byte(c.text), 0o666))
			sw, err := simtest.MergeResults(dir)
			require.NoError(t, err)
			require.Len(t, sw.Tests, 1)
			st := sw.Tests[0]
			assert.False(t, sw.OK(), "a file cut off fails the merge")
			assert.Equal(t, []int{2}, st.Missing)
			assert.Equal(t, 2, st.Files)
			assert.Equal(t, others, st.Seeds, "the file's seeds do not count")
			require.Len(t, st.Cut, 1)
			cut := st.Cut[0]
			assert.Equal(t, whole, cut.Path)
			assert.Equal(t, c.line, cut.Line)
			assert.Equal(t, c.midLine, cut.MidLine)
			assert.Equal(t, 2, cut.Shard)
			assert.Equal(t, 3, cut.Shards)
			if c.line == 11 || c.line == 12 {
				assert.Equal(t, 11, cut.Seeds)
				assert.Equal(t, failing, seedsOf(cut.Failing))
			}
			assert.Contains(t, st.Report, "simtest: missing shards: [2] of 3")
			assert.Contains(t, st.Report, "simtest: shard 2 of 3 was cut off: "+whole+" "+c.says)
			assert.Contains(t, st.Report, fmt.Sprintf("its %d complete seeds are not counted here: run the shard again", cut.Seeds))
			assert.Contains(t, st.Report, fmt.Sprintf("failing seeds in it: %d, each with its first failure and replay line:\n        seed %d: ", len(cut.Failing), cut.Failing[0].Seed))
		})
	}

	// When no shard of a test ended, its files make a test of their own,
	// named as the files are.
	require.NoError(t, os.WriteFile(whole, []byte(strings.Join(lines[:11], "")+lines[11][:20]), 0o666))
	alone := filepath.Join(t.TempDir(), "TestKV.shard-2-of-3.jsonl")
	require.NoError(t, os.Rename(whole, alone))
	sw, err := simtest.MergeResults(alone)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	st := sw.Tests[0]
	assert.False(t, sw.OK())
	assert.Equal(t, "TestKV", st.Test)
	assert.Equal(t, []int{0, 1}, st.Missing, "the shards with no file")
	require.Len(t, st.Cut, 1)
	assert.Equal(t, 11, st.Cut[0].Seeds)
	assert.True(t, strings.HasPrefix(st.Report, "=== TestKV: no results file of it ended, 1 file cut off\n"), st.Report)
	assert.Contains(t, st.Report, "simtest: shard 2 of 3 was cut off: "+alone+" ends in the middle of line 12")

	// An empty file, as a Run killed before its first seed ended leaves
	// it, and one not named as a shard's.
	empty := filepath.Join(t.TempDir(), "TestKV.jsonl")
	require.NoError(t, os.WriteFile(empty, nil, 0o666))
	sw, err = simtest.MergeResults(empty)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	assert.False(t, sw.OK())
	assert.Empty(t, sw.Tests[0].Missing)
	assert.Contains(t, sw.Tests[0].Report, "simtest: a results file was cut off: "+empty+" is empty")
}

// A shard that stopped before go test's -timeout ran some of its seeds
// only: the merge says so and is not OK.
func TestMergeFailsAShardStoppedAtItsTimeout(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		simtest.Simulate(naps, simtest.Seeds(20), simtest.BaseSeed(5), simtest.KeepGoing(), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
	}
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.True(t, sw.OK(), sw.String())

	// The summary a Run stopped at the -timeout writes (stopped_by).
	path := filepath.Join(dir, "Simulate.shard-1-of-2.jsonl")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), `{"summary":{`)
	stopped := strings.Replace(string(data), `{"summary":{`, `{"summary":{"stopped_by":"go test's -timeout","cut_short":true,"seeds_planned":25,`, 1)
	require.NoError(t, os.WriteFile(path, []byte(stopped), 0o666))
	sw, err = simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	assert.False(t, sw.OK(), "a shard that stopped at its -timeout fails the merge")
	assert.Equal(t, []int{1}, sw.Tests[0].TimedOut)
	assert.Contains(t, sw.String(), "simtest: 1 of 2 shards ended at their go test's -timeout (go test -timeout): the seeds are those they reached; "+
		"shards [1] did not run all their seeds (shard 1 ran 10 of the 25 it was given), which fails the merge: raise their -timeout, or give them fewer seeds (-simseeds) or a -simfor that fits\n")
}

// A merge says where its shards' budgets ended them, and its gaps' advice
// is a longer budget, where more seeds would change nothing.
func TestMergeSaysWhereShardsStopped(t *testing.T) {
	dir := t.TempDir()
	body := func(s *simtest.S) {
		fiveLeaders(s)
		assertions.Sometimes(s.Context(), s.Providers().Random.IntN(1000) == 1000, "never true")
	}
	for i := range 2 {
		simtest.Simulate(body, simtest.BaseSeed(1), simtest.UntilPlateau(10), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
	}
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.Contains(t, sw.String(), "simtest: 2 of 2 shards ended at their coverage plateau (-simplateau): the seeds are those they reached")
	assert.Contains(t, sw.String(), "\n  a longer plateau for the shards may reach them (a larger -simplateau); or make gaps warnings")
}

// TestInfiniteQualitiesAreWrittenAndMerged: a SometimesEach quality may be
// infinite (only NaN is a mistake), and JSON has no infinities: the
// results file and the JSON report are written all the same, and merge.
func TestInfiniteQualitiesAreWrittenAndMerged(t *testing.T) {
	dir := t.TempDir()
	res := simtest.Simulate(func(s *simtest.S) {
		ctx := s.Context()
		assertions.SometimesEach(ctx, "how far", "k", 1, assertions.Quality{Name: "up", Value: math.Inf(1)})
		assertions.SometimesEach(ctx, "how far", "k", 2, assertions.Quality{Name: "down", Value: math.Inf(-1)})
	}, simtest.Seeds(2), simtest.ResultsFile(filepath.Join(dir, "r.jsonl")), simtest.JSONReport(filepath.Join(dir, "r.json")))
	require.True(t, res.OK(), res.Report)
	report, err := os.ReadFile(filepath.Join(dir, "r.json"))
	require.NoError(t, err)
	assert.Contains(t, string(report), `"best": 1.7976931348623157e+308`)
	assert.Contains(t, string(report), `"best": -1.7976931348623157e+308`)
	sw, err := simtest.MergeResults(filepath.Join(dir, "r.jsonl"))
	require.NoError(t, err)
	assert.True(t, sw.OK(), sw.String())
	assert.Regexp(t, `ok +SometimesEach +4 +0 +2 +2 buckets +"how far"`, sw.String())
}

// TestKeepGoingReportsGapsAsItsMergeDoes: a Run that goes past its
// failing seeds runs every seed, so its report names the assertions they
// left unexercised, as the merge of its results file does.
func TestKeepGoingReportsGapsAsItsMergeDoes(t *testing.T) {
	body := func(s *simtest.S) {
		rareBug(s)
		assertions.Sometimes(s.Context(), false, "the cache is cold")
	}
	path := filepath.Join(t.TempDir(), "results.jsonl")
	res := simtest.Simulate(body, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(), simtest.ResultsFile(path))
	require.Equal(t, 2, res.Failed)
	sw, err := simtest.MergeResults(path)
	require.NoError(t, err)
	require.Equal(t, 1, sw.Tests[0].Gaps)
	const gap = `simtest: the test fails for 1 coverage gap, an assertion that the Run's 1000 seeds did not exercise as it should:
    Sometimes "the cache is cold"`
	assert.Contains(t, sw.String(), gap, "the merge reports the gap")
	assert.Contains(t, res.Report, gap, "and so does the Run")
	const summary = "simtest: 1000 seeds, 998 passed, 2 failed, and 1 coverage gap fails the test; "
	assert.Contains(t, sw.String(), summary, "the merge's summary tells the gap")
	assert.Contains(t, res.Report, summary, "as the Run's does")

	// A Run that stops at its first failure ran only part of its seeds:
	// what they did not reach is no gap yet, for the Run and its merge.
	path = filepath.Join(t.TempDir(), "stopped.jsonl")
	stopped := simtest.Simulate(body, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.ResultsFile(path))
	require.Equal(t, 1, stopped.Failed)
	assert.NotContains(t, stopped.Report, "coverage gap")
	const notYet = "  assertions: 1, 0 failed, 1 not reached or never true in the seeds that ran (the Run stopped before its other seeds, so none is judged a gap; -simall runs every seed)"
	assert.Contains(t, stopped.Report, notYet, "the table's head counts no gap either")
	sw, err = simtest.MergeResults(path)
	require.NoError(t, err)
	assert.Zero(t, sw.Tests[0].Gaps)
	assert.NotContains(t, sw.String(), "coverage gap")
	assert.Contains(t, sw.String(), notYet, "nor does the merge's")
}

// A gap the Run allows by its message is allowed by the merge too.
func TestMergeAllowsTheGapsItsRunAllows(t *testing.T) {
	body := func(s *simtest.S) {
		assertions.Sometimes(s.Context(), false, "the cache is cold")
		assertions.Sometimes(s.Context(), false, "the disk is full")
	}
	path := filepath.Join(t.TempDir(), "results.jsonl")
	simtest.Simulate(body, simtest.Seeds(10), simtest.ResultsFile(path), simtest.AllowGaps("the cache is cold"))
	sw, err := simtest.MergeResults(path)
	require.NoError(t, err)
	assert.Equal(t, 1, sw.Tests[0].Gaps, sw.String())
	assert.Regexp(t, `simtest: the test fails for 1 coverage gap, .*\n +Sometimes "the disk is full"`, sw.String())
	assert.Regexp(t, `simtest: 1 coverage gap \(warnings\), .*\n +Sometimes "the cache is cold" .*\n +\(allowed for this Run by simtest.AllowGaps\)`, sw.String())
}

// TestMergePassesOverTimelinesInTheResults: a timeline written under the
// results' directory is no shard's results; a merge of the directory
// passes over it, and a merge that names it alone says what it is.
func TestMergePassesOverTimelinesInTheResults(t *testing.T) {
	dir := t.TempDir()
	res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(),
		simtest.ResultsFile(dir+"/"), simtest.TimelineFile(filepath.Join(dir, "timelines")+"/"))
	require.Equal(t, 2, res.Failed)
	timeline := filepath.Join(dir, "timelines", "Simulate.jsonl")
	require.FileExists(t, timeline)
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	assert.Equal(t, 1000, sw.Tests[0].Seeds)
	assert.Equal(t, 2, sw.Tests[0].Failed)

	_, err = simtest.MergeResults(timeline)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Simulate.jsonl is a seed's timeline (-simtimeline, TimelineFile), not a results file (-simresults); leave it out")
	_, err = simtest.MergeResults(filepath.Join(dir, "timelines"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no results file in "+filepath.Join(dir, "timelines")+", only timelines (-simtimeline)")
}

// Shards that stop at their first failing seed each say how many seeds
// they set out to run, and their merge says how many of the sweep's ran,
// as one Run's summary does: "30 seeds" of a sweep of 40 does not read
// as a sweep of 30.
func TestMergeSaysHowManyOfTheSeedsRan(t *testing.T) {
	dir := t.TempDir()
	body := func(s *simtest.S) {
		if s.Providers().Random.IntN(6) == 0 {
			s.Errorf("an acknowledged write was lost")
		}
	}
	opts := []simtest.Option{simtest.Seeds(40), simtest.BaseSeed(3)}
	ran, passed := 0, 0
	for i := range 2 {
		part := simtest.Simulate(body, append(opts, simtest.Shard(i, 2), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))...)
		require.Equal(t, 1, part.Failed, "shard %d stops at a failing seed", i)
		assert.Equal(t, 20, part.Planned, "shard %d set out to run its half", i)
		ran, passed = ran+part.Seeds, passed+part.Passed
	}
	require.Less(t, ran, 40, "the shards stopped before their last seeds")
	sw, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	m := sw.Tests[0]
	assert.Equal(t, ran, m.Seeds)
	assert.Equal(t, 40, m.Planned)
	assert.Contains(t, m.Report, fmt.Sprintf("\nsimtest: %d of 40 seeds run (a Run stops at its first failing seed; -simall or simtest.KeepGoing runs them all), %d passed, 2 failed; wall ", ran, passed))

	// The merge of one Run's file says what the Run said.
	path := filepath.Join(dir, "one.jsonl")
	one := simtest.Simulate(body, append(opts, simtest.ResultsFile(path))...)
	require.NotZero(t, one.Planned)
	sw, err = simtest.MergeResults(path)
	require.NoError(t, err)
	assert.Equal(t, one.Planned, sw.Tests[0].Planned)
	summary := regexp.MustCompile(`\nsimtest: \d+ of \d+ seeds run .*? failed; wall `).FindString(one.Report)
	require.NotEmpty(t, summary, one.Report)
	assert.Contains(t, sw.Tests[0].Report, summary)

	// Shards that ran every seed they were given planned no more.
	all := filepath.Join(dir, "all")
	for i := range 2 {
		simtest.Simulate(body, append(opts, simtest.KeepGoing(), simtest.Shard(i, 2), simtest.ResultsFile(all+"/"))...)
	}
	sw, err = simtest.MergeResults(all)
	require.NoError(t, err)
	assert.Equal(t, 40, sw.Tests[0].Seeds)
	assert.Zero(t, sw.Tests[0].Planned)
	assert.Contains(t, sw.Tests[0].Report, "\nsimtest: 40 seeds, ")
}

// TestMergeTellsTheReplayChecks: a shard's first failing seed carries
// what -simverify found of its replay line (replay_check), and the merged
// report tells it under the line, as the shard's own failure report does:
// a line known not to replay must not read as one that does.
func TestMergeTellsTheReplayChecks(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(80), simtest.BaseSeed(5), simtest.KeepGoing()}
	for i := range 2 {
		simtest.Simulate(lossy, append(opts, simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))...)
	}
	file := filepath.Join(dir, "Simulate.shard-1-of-2.jsonl")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	const check = "replay differs: a fresh process ran seed 1 to the same trace, and it passed"
	lines := strings.Split(string(data), "\n")
	seed := ""
	for i, l := range lines {
		if strings.Contains(l, `"outcome":"fail"`) {
			var sr struct {
				Seed uint64 `json:"seed"`
			}
			require.NoError(t, json.Unmarshal([]byte(l), &sr))
			seed = fmt.Sprint(sr.Seed)
			lines[i] = strings.TrimSuffix(l, "}") + `,"replay_check":"` + check + `"}`
			break
		}
	}
	require.NotEmpty(t, seed, "shard 1 has a failing seed")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o666))
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.Contains(t, sw.Tests[0].Report, "\n          simtest.Replay("+seed+")\n          "+check+"\n")
	assert.Equal(t, 1, strings.Count(sw.Tests[0].Report, "replay differs"), sw.Tests[0].Report)
}

// shardFiles runs n shards of a go test Run of a passing body, each
// writing its results under dir, and returns the files, shard by shard.
func shardFiles(t *testing.T, dir string, n int, opts ...simtest.Option) []string {
	t.Helper()
	var files []string
	for i := range n {
		r := runIn("TestAgree", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {}, append([]simtest.Option{simtest.Seeds(9), simtest.BaseSeed(4), simtest.Shard(i, n), simtest.ResultsFile(dir + "/")}, opts...)...)
		})
		require.False(t, r.failed, r.output())
		files = append(files, filepath.Join(dir, "simtest", fmt.Sprintf("TestAgree.shard-%d-of-%d.jsonl", i, n)))
	}
	return files
}

// editFile replaces old with new in file, once.
func editFile(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(data), old)
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o666))
}

// TestSummaryRecordsWhatShardsMustAgreeOn: the summary records the seeds
// of the whole sweep, the test's own flags and how the binary was built.
func TestSummaryRecordsWhatShardsMustAgreeOn(t *testing.T) {
	files := shardFiles(t, t.TempDir(), 2)
	data, err := os.ReadFile(files[1])
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var sum struct {
		Summary struct {
			SweepSeeds int       `json:"sweep_seeds"`
			Flags      *[]string `json:"flags"`
			Build      struct {
				Go     string `json:"go"`
				Module string `json:"module"`
			} `json:"build"`
		} `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	assert.Equal(t, 9, sum.Summary.SweepSeeds, "the count before sharding")
	require.NotNil(t, sum.Summary.Flags, "recorded, if empty")
	assert.Equal(t, runtime.Version(), sum.Summary.Build.Go)
	assert.Equal(t, "github.com/moonpool-go/moonpool", sum.Summary.Build.Module)
}

// TestMergeRefusesShardsOfAnotherCountOrFlags: shards given another count
// of seeds, or other flags of the test's own, ran another sweep; their
// merge would be the report of no Run.
func TestMergeRefusesShardsOfAnotherCountOrFlags(t *testing.T) {
	dir := t.TempDir()
	files := shardFiles(t, dir, 2)
	_, err := simtest.MergeResults(dir)
	require.NoError(t, err)

	editFile(t, files[1], `"sweep_seeds":9`, `"sweep_seeds":6`)
	_, err = simtest.MergeResults(dir)
	require.Error(t, err)
	assert.Equal(t, "simtest: merging results of TestAgree: "+files[1]+" was given 6 seeds for the whole sweep (before sharding: -simseeds, simtest.Seeds or MOONPOOL_SEEDS), and "+files[0]+" 9; "+
		"the shards of a sweep must split one count, or their merge is the report of no Run: run every shard with one count", err.Error())
	editFile(t, files[1], `"sweep_seeds":6`, `"sweep_seeds":9`)

	// The flags go test gave this binary (-short, -race) are in both.
	flags := regexp.MustCompile(`"flags":\[[^\]]*\]`)
	for i, f := range []string{`"flags":[]`, `"flags":["-window=900ms","-tags=nightly"]`} {
		data, err := os.ReadFile(files[i])
		require.NoError(t, err)
		require.Regexp(t, flags, string(data))
		require.NoError(t, os.WriteFile(files[i], []byte(flags.ReplaceAllLiteralString(string(data), f)), 0o666))
	}
	_, err = simtest.MergeResults(dir)
	require.Error(t, err)
	assert.Equal(t, "simtest: merging results of TestAgree: "+files[1]+" ran with the flags -window=900ms -tags=nightly, and "+files[0]+" with no flags of its own; "+
		"a test's own flags (and -short, -tags, -race), which its replay lines repeat, may change what its seeds do: run every shard with the same flags", err.Error())
}

// TestMergeWarnsOfShardsBuiltApart: shards built by another Go merge, with
// a warning: their code may differ.
func TestMergeWarnsOfShardsBuiltApart(t *testing.T) {
	dir := t.TempDir()
	files := shardFiles(t, dir, 3)
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.NotContains(t, sw.Tests[0].Report, "built differently")

	editFile(t, files[1], `"go":"`+runtime.Version()+`"`, `"go":"go1.25.0"`)
	sw, err = simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.True(t, sw.OK(), "a warning, not a failure")
	assert.Contains(t, sw.Tests[0].Report, "\nsimtest: warning: the shards' test binaries were built differently (Go go1.25.0 in shards [1], "+runtime.Version()+" in shards [0 2]): "+
		"if their code differs too, the merged seeds ran different tests and this report is no one Run's; build every shard from one checkout of one commit with one Go\n")
}

// TestMergeTellsTheDeterminismCheck: shards run under -simcheck record
// what it found, and the merge says it as one process does, and which
// shards checked when not all did.
func TestMergeTellsTheDeterminismCheck(t *testing.T) {
	dir := t.TempDir()
	opts := []simtest.Option{simtest.Seeds(40), simtest.BaseSeed(5), simtest.KeepGoing(), simtest.CheckDeterminism()}
	one := simtest.Simulate(naps, opts...)
	const line = "\n    determinism checked (-simcheck): every seed ran twice, and took the same path both times"
	require.Contains(t, one.Report, line)
	for i := range 2 {
		simtest.Simulate(naps, append(opts, simtest.Shard(i, 2), simtest.ResultsFile(filepath.Join(dir, "all")+"/"))...)
	}
	sw, err := simtest.MergeResults(filepath.Join(dir, "all"))
	require.NoError(t, err)
	assert.Contains(t, sw.Tests[0].Report, line+"\n")

	some := filepath.Join(dir, "some") + "/"
	simtest.Simulate(naps, append(opts, simtest.Shard(0, 2), simtest.ResultsFile(some))...)
	simtest.Simulate(naps, simtest.Seeds(40), simtest.BaseSeed(5), simtest.KeepGoing(), simtest.Shard(1, 2), simtest.ResultsFile(some))
	sw, err = simtest.MergeResults(some)
	require.NoError(t, err)
	assert.Contains(t, sw.Tests[0].Report, "\n    determinism checked (-simcheck): 20 of the 40 seeds ran twice, and took the same path both times; only shards [0] checked, shards [1] did not (-simcheck)\n")
}

// TestMergeWarnsOfShardsOfOtherSource: a test binary carries no commit,
// but a results file carries a hash of the source found in its module,
// and shards of two sources merge with the warning of shards built
// differently, which names the shards of each hash, and those that
// recorded none when others did.
func TestMergeWarnsOfShardsOfOtherSource(t *testing.T) {
	dir := t.TempDir()
	files := shardFiles(t, dir, 3)
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.NotContains(t, sw.Tests[0].Report, "built differently")

	data, err := os.ReadFile(files[1])
	require.NoError(t, err)
	m := regexp.MustCompile(`"source_hash":"([0-9a-f]{16})"`).FindSubmatch(data)
	require.NotNil(t, m, "a test binary in its module records its source: %s", data)
	require.NotEqual(t, "ffffffffffffffff", string(m[1]))
	editFile(t, files[1], string(m[0]), `"source_hash":"ffffffffffffffff"`)
	sw, err = simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.True(t, sw.OK(), "a warning, not a failure")
	warning := "\nsimtest: warning: the shards' test binaries were built differently (source hash " + string(m[1]) + " in shards [0 2], ffffffffffffffff in shards [1]): " +
		"if their code differs too, the merged seeds ran different tests and this report is no one Run's; build every shard from one checkout of one commit with one Go\n"
	assert.Contains(t, sw.Tests[0].Report, warning)
	assert.Equal(t, 1, strings.Count(sw.Tests[0].Report, "simtest: warning:"), "one warning")

	// A shard run outside its module records no hash: it is named, not
	// left out of the comparison.
	editFile(t, files[2], ","+string(m[0]), "")
	sw, err = simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.Contains(t, sw.Tests[0].Report, "(source hash "+string(m[1])+" in shards [0], ffffffffffffffff in shards [1], none in shards [2])")

	editFile(t, files[1], `,"source_hash":"ffffffffffffffff"`, "")
	sw, err = simtest.MergeResults(dir)
	require.NoError(t, err)
	assert.Contains(t, sw.Tests[0].Report, "(source hash "+string(m[1])+" in shards [0], none in shards [1 2])")
}

// TestSweepTestFailuresSayWhyItIsNotOK: each way a test fails a merge has
// its reason, and a test is OK when it has none.
func TestSweepTestFailuresSayWhyItIsNotOK(t *testing.T) {
	for _, tc := range []struct {
		test simtest.SweepTest
		want []string
	}{
		{simtest.SweepTest{Seeds: 3, Passed: 3}, nil},
		{simtest.SweepTest{Failed: 1}, []string{"failing seeds"}},
		{simtest.SweepTest{AssertionFailures: 1}, []string{"failed assertions"}},
		{simtest.SweepTest{Gaps: 1}, []string{"coverage gaps"}},
		{simtest.SweepTest{Missing: []int{2}}, []string{"missing shards"}},
		{simtest.SweepTest{Cut: []simtest.CutFile{{Path: "x"}}}, []string{"files cut off"}},
		{simtest.SweepTest{TimedOut: []int{0}}, []string{"shards stopped at go test's -timeout"}},
		{simtest.SweepTest{Failed: 1, TimedOut: []int{0}, Gaps: 2}, []string{"failing seeds", "coverage gaps", "shards stopped at go test's -timeout"}},
	} {
		assert.Equal(t, tc.want, tc.test.Failures(), "%+v", tc.test)
		assert.Equal(t, tc.want == nil, tc.test.OK(), "%+v", tc.test)
	}
}

// A shard whose Run failed the test on code that kept the wall clock,
// though its seeds passed, fails the merge too, and the merge says why.
func TestMergeFailsOnCodeThatKeptTheWallClock(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	dir := t.TempDir()
	for i := range 2 {
		body := func(s *simtest.S) {}
		if i == 1 {
			body = func(s *simtest.S) { go janitor(stop) }
		}
		res := simtest.Simulate(body, simtest.Seeds(6), simtest.BaseSeed(5), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
		require.Equal(t, i == 0, res.OK(), res.Report)
	}
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	assert.False(t, sw.OK(), "a shard that failed on a goroutine left running fails the merge: %s", sw.String())
	require.Len(t, sw.Tests[0].WallClock, 1)
	assert.Contains(t, sw.Tests[0].WallClock[0], "shard 1: simtest: no goroutine may outlive a simulation, and the test fails: ")
	assert.Equal(t, []string{"code that keeps the wall clock"}, sw.Tests[0].Failures())
	assert.Contains(t, sw.String(), "6 seeds, 6 passed, 0 failed, but code that keeps the wall clock fails the test;")
}

// A test whose every seed's chaos phase lasted no time fails the merge of
// its shards as it fails one Run, and the merge says why; where a shard's
// seeds held the phase open, the merge passes, as one Run of all the
// seeds would, though the other shard's Run failed alone.
func TestMergeFailsOnChaosPhasesOfNoTime(t *testing.T) {
	for _, held := range []bool{false, true} {
		dir := t.TempDir()
		for i := range 2 {
			hold := held && i == 1
			body := func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: waiting})
				c.Run(simtest.Phases{Chaos: time.Minute}, nothingToDrive{hold})
			}
			res := simtest.Simulate(body, simtest.Seeds(6), simtest.BaseSeed(5), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
			require.Equal(t, hold, res.OK(), res.Report)
		}
		sw, err := simtest.MergeResults(dir)
		require.NoError(t, err)
		require.Len(t, sw.Tests, 1)
		if held {
			assert.True(t, sw.OK(), sw.String())
			assert.Empty(t, sw.Tests[0].NoChaos)
			continue
		}
		assert.False(t, sw.OK(), "every seed's phase lasted no time: %s", sw.String())
		assert.Equal(t, []string{"chaos phases of no time"}, sw.Tests[0].Failures())
		assert.Contains(t, sw.Tests[0].NoChaos, "simtest: the chaos phase of Cluster.Run lasted no time in every one of its 6 seeds, and the test fails: ")
		assert.Contains(t, sw.String(), sw.Tests[0].NoChaos+"\n")
	}
}

// A Run that names its seeds runs them in every shard of a sweep, and
// each shard writes the same unsharded file. Shards that write to
// directories of their own, as the Kubernetes Job's do, hold it once
// each: the merge takes it once, not as a shard twice.
func TestMergeTakesAReplayedRunOnceFromEveryShard(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		shard := filepath.Join(dir, fmt.Sprintf("shard-%d", i)) + "/"
		res := simtest.Simulate(naps, simtest.Replay(7, 8), simtest.Shard(i, 3), simtest.ResultsFile(shard))
		require.True(t, res.OK(), res.Report)
	}
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	m := sw.Tests[0]
	assert.Equal(t, 2, m.Seeds, "the replayed seeds, once")
	assert.Equal(t, 1, m.Files)
	assert.Empty(t, m.Missing)
	assert.True(t, sw.OK(), m.Report)

	// Files of one Run's seeds that ended otherwise are no copies.
	other := filepath.Join(t.TempDir(), "other") + "/"
	simtest.Simulate(naps, simtest.Replay(7, 9), simtest.ResultsFile(other))
	_, err = simtest.MergeResults(dir, other)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "are both shard 0 of 1; merge each shard once")
}
