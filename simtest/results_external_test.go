package simtest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// rareBug fails about one seed in 500.
func rareBug(s *simtest.S) {
	s.Sleep(time.Duration(s.Providers().Random.IntN(1000)) * time.Millisecond)
	if s.Providers().Random.IntN(500) == 0 {
		s.Errorf("the planted bug fired")
	}
}

func TestKeepGoingRunsPastFailuresAndWritesResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(), simtest.ResultsFile(path))
	require.False(t, res.OK())
	out := res.Report

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	type line struct {
		Seed         uint64 `json:"seed"`
		Trace        string `json:"trace"`
		Outcome      string `json:"outcome"`
		SimNS        int64  `json:"sim_ns"`
		Sim          string `json:"sim"`
		Steps        uint64 `json:"steps"`
		Events       uint64 `json:"events"`
		FirstFailure string `json:"first_failure"`
	}
	var lines []line
	var failing []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var summary struct {
		Summary *struct {
			Seeds  int `json:"seeds"`
			Failed int `json:"failed"`
		} `json:"summary"`
	}
	for sc.Scan() {
		require.Nil(t, summary.Summary, "the summary is the last line")
		if require.NoError(t, json.Unmarshal(sc.Bytes(), &summary)); summary.Summary != nil {
			continue
		}
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
		assert.Len(t, l.Trace, 16)
		if l.Outcome == "fail" {
			failing = append(failing, fmt.Sprint(l.Seed))
			assert.Regexp(t, `^\d+m?s driver: results_external_test.go:\d+: the planted bug fired$`, l.FirstFailure)
		} else {
			assert.Equal(t, "pass", l.Outcome)
			assert.Empty(t, l.FirstFailure)
		}
	}
	require.Len(t, lines, 1000, "every seed ran, past the failing ones")
	require.NotNil(t, summary.Summary, "a summary ends the file")
	assert.Equal(t, 1000, summary.Summary.Seeds)
	assert.Equal(t, 2, summary.Summary.Failed)
	require.Len(t, failing, 2, "this base seed meets the bug twice in 1000")
	for i, sr := range res.PerSeed {
		b, err := json.Marshal(sr)
		require.NoError(t, err)
		var l line
		require.NoError(t, json.Unmarshal(b, &l))
		require.Equal(t, lines[i], l, "the Result's seeds are the file's lines")
	}
	assert.Equal(t, fmt.Sprint(res.Failing()), "["+strings.Join(failing, " ")+"]")
	assert.Equal(t, failing[0], fmt.Sprint(res.FirstFailing))
	assert.Equal(t, "simtest.Replay("+failing[0]+")", res.Replay)
	assert.Contains(t, out, "1000 seeds, 998 passed, 2 failed")
	assert.Regexp(t, `failing seeds: 2 of 1000 \(0\.20%\), each with its first failure and replay line:
        seed `+failing[0]+`: \d+ms driver: results_external_test.go:\d+: the planted bug fired
          simtest.Replay\(`+failing[0]+`\)
        seed `+failing[1]+`: \d+ms driver: results_external_test.go:\d+: the planted bug fired
          simtest.Replay\(`+failing[1]+`\)
`, out, "-simall and KeepGoing tell each failing seed's story in a line")
	assert.Contains(t, out, "simtest: seed "+failing[0]+" failed", "the first failing seed gets the full report")
	assert.Equal(t, 1, strings.Count(out, "replay: "), "and only the first")
}

// twoBugs fails about a third of its seeds at one line, with messages
// that differ from seed to seed, and about a tenth at another.
func twoBugs(s *simtest.S) {
	switch n := s.Providers().Random.IntN(30); {
	case n < 10:
		s.Errorf("order o%d was charged twice", n)
	case n < 13:
		s.Errorf("an acknowledged order was lost")
	}
}

// A sweep that goes on past its failures sorts them by where they were,
// most seeds first: a failure rate alone does not tell one bug from two.
// A merge of its shards sorts them the same.
func TestKeepGoingSortsFailuresByPlace(t *testing.T) {
	opts := []simtest.Option{simtest.Seeds(300), simtest.BaseSeed(2), simtest.KeepGoing()}
	res := simtest.Simulate(twoBugs, opts...)
	require.False(t, res.OK())
	places := regexp.MustCompile(`(?s)failing seeds: \d+ of 300 \([^)]*\), their first failures in 2 places:
        (\d+) seeds like seed (\d+): \d*m?s driver: results_external_test.go:\d+: order o\d was charged twice
          simtest.Replay\((\d+)\)
        (\d+) seeds like seed (\d+): \d*m?s driver: results_external_test.go:\d+: an acknowledged order was lost
          simtest.Replay\((\d+)\)
      each with its first failure and replay line:
        seed `)
	m := places.FindStringSubmatch(res.Report)
	require.NotNil(t, m, res.Report)
	assert.Equal(t, fmt.Sprint(res.Failed), fmt.Sprint(atoi(t, m[1])+atoi(t, m[4])), "every failing seed is in a place")
	assert.Equal(t, m[2], m[3], "each place with its first seed's replay line")
	assert.Equal(t, m[5], m[6], "each place with its first seed's replay line")
	// docs/sweeps.md quotes these groups; an edit above twoBugs moves
	// the lines they name.
	doc, err := os.ReadFile("../docs/sweeps.md")
	require.NoError(t, err)
	for _, line := range strings.Split(m[0], "\n")[:6] {
		line = strings.TrimSpace(line)
		assert.True(t, strings.Contains(string(doc), line), "docs/sweeps.md quotes the groups as the report prints them: it lacks %q", line)
	}

	dir := t.TempDir()
	for i := range 3 {
		simtest.Simulate(twoBugs, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))...)
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Equal(t, places.FindString(res.Report), places.FindString(merged.Tests[0].Report))

	one := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing())
	assert.Contains(t, one.Report, "(0.20%), each with its first failure and replay line:", "one place: nothing to sort")
}

// oneSiteTwoBugs reports both of its bugs from one call site, as a
// Workload's Check or a helper does: about a third of its seeds find a
// negative balance (of accounts with numbers that differ from seed to
// seed), and about a tenth a lost deposit.
func oneSiteTwoBugs(s *simtest.S) {
	var err error
	switch n := s.Providers().Random.IntN(30); {
	case n < 10:
		err = fmt.Errorf("balance of account a%d went negative: %d", n, -n-1)
	case n < 13:
		err = fmt.Errorf("acknowledged deposit lost")
	}
	if err != nil {
		s.Errorf("workload deposits: check: %v", err)
	}
}

// Two bugs reported from one call site are two groups, told apart by
// their words with the numbers left out, in one process's report and in
// the merge of its shards alike; and a merge exports the groups.
func TestFailuresFromOneSiteAreGroupedByTheirWords(t *testing.T) {
	opts := []simtest.Option{simtest.Seeds(300), simtest.BaseSeed(2), simtest.KeepGoing()}
	res := simtest.Simulate(oneSiteTwoBugs, opts...)
	require.False(t, res.OK())
	groups := regexp.MustCompile(`(?s)failing seeds: \d+ of 300 \([^)]*\), their first failures of 2 kinds in 1 place:
        (\d+) seeds like seed (\d+): \d*m?s driver: results_external_test.go:\d+: workload deposits: check: balance of account a\d went negative: -\d+
          simtest.Replay\((\d+)\)
        (\d+) seeds like seed (\d+): \d*m?s driver: results_external_test.go:\d+: workload deposits: check: acknowledged deposit lost
          simtest.Replay\((\d+)\)
      each with its first failure and replay line:
        seed `)
	m := groups.FindStringSubmatch(res.Report)
	require.NotNil(t, m, res.Report)
	assert.Equal(t, fmt.Sprint(res.Failed), fmt.Sprint(atoi(t, m[1])+atoi(t, m[4])), "every failing seed is in a group")
	assert.Equal(t, m[2], m[3])
	assert.Equal(t, m[5], m[6])

	dir := t.TempDir()
	for i := range 3 {
		simtest.Simulate(oneSiteTwoBugs, append(opts, simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))...)
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	mt := merged.Tests[0]
	assert.Equal(t, groups.FindString(res.Report), groups.FindString(mt.Report), "the merge groups as one process")
	require.Len(t, mt.Groups, 2)
	site := regexp.MustCompile(`^results_external_test\.go:\d+$`)
	for i, want := range []struct{ shape, seeds, first string }{
		{"workload deposits: check: balance of account a# went negative: -#", m[1], m[2]},
		{"workload deposits: check: acknowledged deposit lost", m[4], m[5]},
	} {
		g := mt.Groups[i]
		assert.Regexp(t, site, g.Site)
		assert.Equal(t, want.shape, g.Shape)
		assert.Equal(t, want.seeds, fmt.Sprint(g.Seeds))
		assert.Equal(t, want.first, fmt.Sprint(g.First.Seed), "the group's first seed")
		assert.NotEmpty(t, g.First.Replay)
	}

	// Each failing seed carries its group, for a script.
	shapes := map[string]int{}
	for _, sr := range res.PerSeed {
		if sr.Outcome == simtest.OutcomeFail {
			assert.Regexp(t, site, sr.FailedAt)
			shapes[sr.FailureShape]++
		}
	}
	assert.Equal(t, map[string]int{mt.Groups[0].Shape: mt.Groups[0].Seeds, mt.Groups[1].Shape: mt.Groups[1].Seeds}, shapes)
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Regexp(t, `"failed_at":"results_external_test\.go:\d+","failure_shape":"workload deposits: check: `, string(data), "and its line in the results file")
}

// A merge of shards that stopped at their first failing seeds lists
// those seeds with their replay lines: its report has no failure report
// of its own, as a Run that stops has, to show them.
func TestAMergeOfStoppedShardsListsTheirFailingSeeds(t *testing.T) {
	dir := t.TempDir()
	var firsts []uint64
	for i := range 3 {
		res := simtest.Simulate(twoBugs, simtest.Seeds(300), simtest.BaseSeed(2), simtest.Shard(i, 3), simtest.ResultsFile(dir+"/"))
		require.False(t, res.OK())
		firsts = append(firsts, res.PerSeed[len(res.PerSeed)-1].Seed)
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	rep := merged.Tests[0].Report
	assert.Regexp(t, `\n    failing seeds: 3 of \d+, where their shards stopped \(no failure rate: -simall runs every seed\), each with its first failure and replay line:`, rep)
	for _, seed := range firsts {
		assert.Contains(t, rep, fmt.Sprintf("\n        seed %d: ", seed))
		assert.Contains(t, rep, fmt.Sprintf("\n          simtest.Replay(%d)", seed))
	}
}

func TestKeepGoingAgreesWithAStoppingRun(t *testing.T) {
	r := runIn("TestSweep", func(r *recorder) { simtest.Run(r, rareBug, simtest.Seeds(1000)) })
	out := r.output()
	assert.Contains(t, out, "failed")
	assert.NotContains(t, out, "failing seeds:", "a Run that stops lists no failing seeds")
}

func TestKeepGoingWritesTheFirstFailingSeedsTimeline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.jsonl")
	res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(), simtest.TimelineFile(path))
	require.Equal(t, 2, res.Failed)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), fmt.Sprintf(`"seed":%d,`, res.FirstFailing), "the file is the first failing seed's, not the last seed's")
	assert.Contains(t, string(b), "the planted bug fired")
}

// TestResultsAndTimelineAtOnePathAreRefused: a results file and a
// timeline pointed at one directory would both be Simulate.jsonl, one
// over the other; the Run refuses them before any seed runs.
func TestResultsAndTimelineAtOnePathAreRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ results, timeline string }{
		{dir + "/", dir + "/"},
		{dir + "/", dir},
		{dir + "/", filepath.Join(dir, "Simulate.jsonl")},
		{filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "r.jsonl")},
	} {
		res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(),
			simtest.ResultsFile(c.results), simtest.TimelineFile(c.timeline))
		require.False(t, res.OK(), c)
		assert.Zero(t, res.Seeds, "no seed runs: %v", c)
		assert.Contains(t, res.Report, "simtest: the results (-simresults, ResultsFile) and the timeline (-simtimeline, TimelineFile) are both written to "+c.timeline+": ", c)
		assert.Contains(t, res.Report, "give the timeline a file or directory of its own", c)
	}

	// Apart, each is written, and the results merge.
	res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(),
		simtest.ResultsFile(filepath.Join(dir, "results")+"/"), simtest.TimelineFile(filepath.Join(dir, "timeline")+"/"))
	require.Equal(t, 2, res.Failed)
	assert.FileExists(t, filepath.Join(dir, "timeline", "Simulate.jsonl"))
	sw, err := simtest.MergeResults(filepath.Join(dir, "results"))
	require.NoError(t, err)
	assert.Equal(t, 2, sw.Tests[0].Failed)
}

// A failure whose first line only announces what follows, as a program's
// exit announces the end of its standard error, keeps in a seed's one-line
// summary the line that says what went wrong: the panic, or else the last
// line, where log.Fatal writes.
func TestFirstFailureKeepsWhatAProgramsExitAnnounces(t *testing.T) {
	for _, c := range []struct{ stderr, want string }{
		{"goroutine 1 [running]:\npanic: the log is corrupt\n\ngoroutine 7 [select]:\nmain.loop()\n", "its standard error ends: panic: the log is corrupt"},
		{"2024/01/01 00:00:01 starting\n2024/01/01 00:00:02 fsync failed: disk full\n", "its standard error ends: … 2024/01/01 00:00:02 fsync failed: disk full"},
	} {
		res := simtest.Simulate(func(s *simtest.S) {
			s.Error("program store exited with status 2; its standard error ends:\n" + c.stderr)
		}, simtest.Seeds(1), simtest.KeepFailures(false))
		require.Len(t, res.PerSeed, 1)
		assert.Equal(t, "program store exited with status 2; "+c.want, trimStamp(res.PerSeed[0].FirstFailure))
	}
}

// trimStamp drops the simulated time and task that stamp a failure line.
func trimStamp(line string) string {
	if i := strings.Index(line, "program "); i >= 0 {
		return line[i:]
	}
	return line
}

// Past the failing seeds it lists, a sweep's summary says how many more
// failed on a line of its own, not at the end of the last replay line,
// which a user copies whole.
func TestTheFailingSeedsPastTheListAreCountedApart(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { s.Errorf("every seed fails") }, simtest.Seeds(25), simtest.KeepGoing())
	require.Len(t, res.Failing(), 25)
	assert.Equal(t, 20, strings.Count(res.Report, "\n          simtest.Replay("), res.Report)
	assert.Regexp(t, `simtest\.Replay\(\d+\)\n        \.\.\. and 5 more \(`, res.Report)
}

// TestResultsDirectoryHasAFileAPackage: go test ./... runs packages' test
// binaries at once, and two packages may each have a test of one name;
// in a results directory each package's file goes under the package's
// own directory, so that neither is written over the other, and a merge
// of the directory tells both.
func TestResultsDirectoryHasAFileAPackage(t *testing.T) {
	dir := t.TempDir() + "/"
	for i := range 2 {
		r := runIn("TestSameName", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(4), simtest.BaseSeed(2), simtest.Shard(i, 2), simtest.ResultsFile(dir))
		})
		require.False(t, r.failed, r.output())
		file := filepath.Join(dir, "simtest", fmt.Sprintf("TestSameName.shard-%d-of-2.jsonl", i))
		assert.Contains(t, r.output(), "simtest: wrote the results to "+file)
		assert.FileExists(t, file)
	}
	// Another package's test of the same name, written beside it.
	other := filepath.Join(dir, "other", "TestSameName.shard-0-of-1.jsonl")
	require.NoError(t, os.MkdirAll(filepath.Dir(other), 0o777))
	data, err := os.ReadFile(filepath.Join(dir, "simtest", "TestSameName.shard-0-of-2.jsonl"))
	require.NoError(t, err)
	data = []byte(strings.Replace(strings.Replace(string(data), `"package":"./simtest"`, `"package":"./other"`, 1), `"shards":2`, `"shards":1`, 1))
	require.NoError(t, os.WriteFile(other, data, 0o666))
	sw, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, sw.Tests, 2, "a test a package")
	assert.Equal(t, "./other", sw.Tests[0].Package)
	assert.Equal(t, "./simtest", sw.Tests[1].Package)
	assert.Equal(t, "github.com/moonpool-go/moonpool/simtest", sw.Tests[1].ImportPath, "the import path, as go test names the package")
	assert.Equal(t, 4, sw.Tests[1].Seeds)
	assert.Empty(t, sw.Tests[1].Missing)
}

// TestAFileAnotherRunWroteGetsOneBeside: a file path given to several
// Runs of one test binary (the subtests of a table) keeps the first Run's
// file, and each later Run writes its own beside it, named for its test
// too, as the timeline and its page do, each Run's log naming its file;
// one that writes over another's (the test again, under -count) says so.
func TestAFileAnotherRunWroteGetsOneBeside(t *testing.T) {
	dir := t.TempDir()
	results, report, cover := filepath.Join(dir, "results.jsonl"), filepath.Join(dir, "report.json"), filepath.Join(dir, "a.cover")
	var outs []string
	for _, test := range []string{"TestTable/first", "TestTable/second", "TestTable/second"} {
		r := runIn(test, func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(2), simtest.ResultsFile(results), simtest.JSONReport(report), simtest.CoverProfile(cover))
		})
		require.False(t, r.failed, r.output())
		outs = append(outs, r.output())
	}
	beside := func(path string) string {
		ext := filepath.Ext(path)
		return strings.TrimSuffix(path, ext) + ".TestTable_second" + ext
	}
	for _, f := range []struct{ what, path string }{{"the results", results}, {"the JSON report", report}, {"the assertion coverage profile", cover}} {
		assert.Contains(t, outs[0], "simtest: wrote "+f.what+" to "+f.path+"\n")
		assert.Contains(t, outs[1], "simtest: wrote "+f.what+" to "+beside(f.path)+"\n")
		assert.Contains(t, outs[2], "simtest: this Run writes "+f.what+" over "+beside(f.path)+", which an earlier Run of this test binary wrote for the same test")
	}
	assert.NotContains(t, outs[0]+outs[1], "this Run writes")
	assert.Contains(t, outs[2], "run with -count=1, and give each of a test's several Runs a path of its own")
	for path, test := range map[string]string{report: "TestTable/first", beside(report): "TestTable/second"} {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Test string `json:"test"`
		}
		require.NoError(t, json.Unmarshal(data, &rep))
		assert.Equal(t, test, rep.Test, path)
	}
}

// TestJSONReportCarriesTheFailingSeeds: the JSON report (-simjson) of a
// failing Run lists its failing seeds with their replay lines, as the
// results file's lines do, and says which package, base seed and format
// it is.
func TestJSONReportCarriesTheFailingSeeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	r := runIn("TestJSONFailing", func(r *recorder) {
		simtest.Run(r, rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(), simtest.KeepFailures(false), simtest.JSONReport(path))
	})
	require.True(t, r.failed)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		FormatVersion int    `json:"format_version"`
		Package       string `json:"package"`
		BaseSeed      uint64 `json:"base_seed"`
		BaseSeedStr   string `json:"base_seed_str"`
		Shard         *int   `json:"shard"`
		Failed        int    `json:"failed"`
		FailingSeeds  []struct {
			Seed         uint64 `json:"seed"`
			SeedStr      string `json:"seed_str"`
			Outcome      string `json:"outcome"`
			FirstFailure string `json:"first_failure"`
			Replay       string `json:"replay"`
		} `json:"failing_seeds"`
	}
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, 3, rep.FormatVersion)
	assert.Equal(t, "./simtest", rep.Package)
	assert.Equal(t, uint64(1), rep.BaseSeed)
	assert.Equal(t, "1", rep.BaseSeedStr)
	require.NotNil(t, rep.Shard)
	assert.Equal(t, 2, rep.Failed)
	require.Len(t, rep.FailingSeeds, 2)
	for _, f := range rep.FailingSeeds {
		assert.Equal(t, "fail", f.Outcome)
		assert.Equal(t, strconv.FormatUint(f.Seed, 10), f.SeedStr, "the seed in decimal, for readers that take JSON numbers as float64")
		assert.Greater(t, f.Seed, uint64(1)<<53, "a seed a float64 rounds")
		assert.Contains(t, f.FirstFailure, "the planted bug fired")
		assert.True(t, strings.HasPrefix(f.Replay, fmt.Sprintf("go test -run '^TestJSONFailing$' ./simtest -simseed=%d", f.Seed)), f.Replay)
	}
}

// TestReportDirectoriesHaveAFileAPackage: -simjson and -simcover given a
// directory put their files under the package's directory too, as
// results files are, so that two packages' tests of one name do not
// write over each other.
func TestReportDirectoriesHaveAFileAPackage(t *testing.T) {
	dir := t.TempDir() + "/"
	r := runIn("TestSameName", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(2), simtest.JSONReport(dir), simtest.CoverProfile(dir))
	})
	require.False(t, r.failed, r.output())
	for _, name := range []string{"TestSameName.json", "TestSameName.cover"} {
		file := filepath.Join(dir, "simtest", name)
		assert.Contains(t, r.output(), " to "+file)
		assert.FileExists(t, file)
		assert.NoFileExists(t, filepath.Join(dir, name))
	}
}

// TestSimulateWritesOverItsFileEachCall: a program that calls Simulate
// for one configuration after another, with one path, reads each call's
// report there: Simulate is no test binary's Run, and writes no file
// beside, nor a note of -count.
func TestSimulateWritesOverItsFileEachCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	for _, seeds := range []int{1, 2, 3} {
		res := simtest.Simulate(func(s *simtest.S) {}, simtest.Seeds(seeds), simtest.JSONReport(path))
		assert.Contains(t, res.Report, "simtest: wrote the JSON report to "+path+"\n")
		assert.NotContains(t, res.Report, "this Run writes")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var rep struct {
			Passed int `json:"passed"`
		}
		require.NoError(t, json.Unmarshal(data, &rep))
		assert.Equal(t, seeds, rep.Passed, "the call's own report")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no file beside")
}

// Under -v, where the seeds' lines stream as they end, a failing seed of a
// Run that goes on past failures logs its replay line as it fails, not
// only in the report at the Run's end, which a job cut off never reaches.
func TestAFailingSeedsReplayLineStreamsUnderVerbose(t *testing.T) {
	r := runIn("TestStreamed", func(r *recorder) {
		simtest.Run(r, rareBug, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing(), simtest.KeepFailures(false), simtest.Verbose())
	})
	require.True(t, r.failed)
	var streamed []string
	for _, l := range r.logs {
		if strings.HasPrefix(l, "simtest: seed ") && strings.Contains(l, " failed: ") {
			streamed = append(streamed, l)
		}
	}
	require.Len(t, streamed, 2, "one for each failing seed: %v", streamed)
	assert.Regexp(t, `^simtest: seed \d+ failed: \S+ driver: results_external_test\.go:\d+: the planted bug fired\n    replay: go test -run '\^TestStreamed\$' \./simtest -simseed=\d+( -\S+)*$`, streamed[0], "the line repeats the build's flags, as -race")
}
