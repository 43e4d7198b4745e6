package mergecmd_test

import (
	"bytes"
	"encoding/xml"
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
	assert.True(t, strings.HasPrefix(errs, "usage: moonpool-merge [-o file] [-junit file] [-strict] results..."), errs)
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
	assert.True(t, strings.HasSuffix(out, "\n\nmoonpool-merge: 1 test merged, all passed; 100 seeds, none failed\n"), "the report ends with the verdict: %s", out)
}

// TestMergeEndsWithAVerdict: the last line of the report counts the tests,
// those that fail and why, and the seeds, whatever the tests' reports
// end with.
func TestMergeEndsWithAVerdict(t *testing.T) {
	dir := t.TempDir()
	shards(t, filepath.Join(dir, "a"), 3, rare)
	shards(t, filepath.Join(dir, "b"), 2, func(s *simtest.S) { s.Sleep(time.Second) })
	require.NoError(t, os.Remove(filepath.Join(dir, "b", "Simulate.shard-1-of-2.jsonl")))
	// Another test's shards: the summary names the test.
	other := filepath.Join(dir, "b", "Simulate.shard-0-of-2.jsonl")
	data, err := os.ReadFile(other)
	require.NoError(t, err)
	renamed := strings.ReplaceAll(string(data), `"test":"Simulate"`, `"test":"TestOther"`)
	require.NotEqual(t, string(data), renamed)
	require.NoError(t, os.WriteFile(other, []byte(renamed), 0o666))
	code, out, errs := run(dir)
	assert.Equal(t, 1, code, errs)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	assert.Regexp(t, `^moonpool-merge: 2 tests merged, 2 failed \(1 with failing seeds, 1 with missing shards\); 150 seeds, [1-9]\d* failed$`, lines[len(lines)-1])
}

// TestMergeWritesJUnit: -junit writes a testcase per test, and a failing
// one's body starts with its failing seeds' replay lines.
func TestMergeWritesJUnit(t *testing.T) {
	dir := t.TempDir()
	shards(t, filepath.Join(dir, "fails"), 3, rare)
	xmlPath := filepath.Join(t.TempDir(), "junit.xml")
	code, _, errs := run("-junit", xmlPath, dir)
	assert.Equal(t, 1, code, errs)
	b, err := os.ReadFile(xmlPath)
	require.NoError(t, err)
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Classname string `xml:"classname,attr"`
				Name      string `xml:"name,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &doc), "%s", b)
	assert.Contains(t, string(b), "<![CDATA[failing seeds: ", "the body's lines stay readable in the file")
	assert.Equal(t, 1, doc.Tests)
	assert.Equal(t, 1, doc.Failures)
	require.Len(t, doc.Suites, 1)
	require.Len(t, doc.Suites[0].Cases, 1)
	c := doc.Suites[0].Cases[0]
	assert.Equal(t, "Simulate", c.Name)
	require.NotNil(t, c.Failure, "%s", b)
	assert.Regexp(t, `^[1-9]\d* of 100 seeds failed in 1 place: "an acknowledged write was lost" \([1-9]\d*\)$`, c.Failure.Message)
	assert.Regexp(t, `^failing seeds: [1-9]\d* of 100, their first failures in 1 place:
  [1-9]\d* seeds? like seed (\d+): [^\n]*an acknowledged write was lost
    replay: simtest.Replay\((\d+)\)

seed \d+ failed: [^\n]*an acknowledged write was lost\n  replay: simtest.Replay\(\d+\)`, c.Failure.Body, "the groups and the replay lines come first")
	assert.Contains(t, c.Failure.Body, "simtest: 100 seeds, ", "then the whole report")

	// A passing merge's testcase has no failure.
	pass := t.TempDir()
	shards(t, pass, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	code, _, errs = run(pass, "-junit", xmlPath)
	assert.Equal(t, 0, code, errs)
	b, err = os.ReadFile(xmlPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), `<testsuites tests="1" failures="0">`)
	assert.NotContains(t, string(b), "<failure")

	code, _, errs = run(pass, "-junit", filepath.Join(t.TempDir(), "no", "such", "dir", "junit.xml"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "moonpool-merge: writing the JUnit XML: ")

	// "-" is not standard output, which has the report, nor a file.
	wd, err := os.Getwd()
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	code, out, errs := run(filepath.Join(wd, pass), "-junit", "-")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "moonpool-merge: -junit - would mix the XML into the report on standard output; name a file")
	assert.NoFileExists(t, "-")
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

// -strict fails a merge of shards built differently, which is otherwise a
// warning.
func TestStrictFailsShardsBuiltApart(t *testing.T) {
	dir := t.TempDir()
	shards(t, dir, 2, func(s *simtest.S) { s.Sleep(time.Second) })
	code, _, _ := run("-strict", dir)
	assert.Equal(t, 0, code, "built alike")

	path := filepath.Join(dir, "Simulate.shard-1-of-2.jsonl")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	edited := strings.Replace(string(data), `"source_hash":"`, `"source_hash":"ffff`, 1)
	require.NotEqual(t, string(data), edited, "the summary records the source hash")
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o666))
	code, out, errs := run(dir)
	assert.Equal(t, 0, code, errs)
	assert.Contains(t, out, "simtest: warning: the shards' test binaries were built differently (source hash ")
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errs = run("-strict", "-junit", junitPath, dir)
	assert.Equal(t, 1, code)
	assert.Empty(t, errs)
	// The verdict, the report's last line, and the JUnit XML fail it as
	// the exit status does, where they said all passed.
	assert.True(t, strings.HasSuffix(out, "moonpool-merge: 1 test merged, 1 failed (1 with shards built differently, under -strict); 100 seeds, 0 failed\n"), out)
	x, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	assert.Contains(t, string(x), `<failure message="failed: shards built differently, under -strict">`)
}
