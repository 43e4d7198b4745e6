package simtest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// TestUnreadableKeptSeedsFailTheTest puts a file where the test's kept
// seeds should be, so that they cannot be read: the test fails, naming the
// path and why, and the other seeds still run.
func TestUnreadableKeptSeedsFailTheTest(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := filepath.Join("testdata", "simtest", "TestUnreadable")
	require.NoError(t, os.MkdirAll(filepath.Dir(dir), 0o755))
	require.NoError(t, os.WriteFile(dir, []byte("not a directory"), 0o644))
	r := runIn("TestUnreadable", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(3))
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "the kept seeds in "+dir+" cannot be read")
	assert.Contains(t, out, "not a directory")
	assert.Contains(t, out, "3 seeds, 3 passed, 0 failed")
}

// TestAKeptSeedThatFailsAgainSaysSo: a kept seed that fails again is a
// known failure, not a new one: the report's first line says it is the
// kept seed and names its file, and so do its line in the results file
// and the JSON report, which CI reads to tell the two apart.
func TestAKeptSeedThatFailsAgainSaysSo(t *testing.T) {
	t.Chdir(t.TempDir())
	file := filepath.Join("testdata", "simtest", "TestKeptAgain", "42")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	r := runIn("TestKeptAgain", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Errorf("the bug") }, simtest.Seeds(3),
			simtest.ResultsFile("results.jsonl"), simtest.JSONReport("report.json"))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: kept seed 42 ("+file+") failed again\n  replay: ")

	data, err := os.ReadFile("results.jsonl")
	require.NoError(t, err)
	var line struct {
		Seed uint64 `json:"seed"`
		Kept string `json:"kept"`
	}
	first, _, _ := strings.Cut(string(data), "\n")
	require.NoError(t, json.Unmarshal([]byte(first), &line))
	assert.Equal(t, uint64(42), line.Seed)
	assert.Equal(t, file, line.Kept)

	data, err = os.ReadFile("report.json")
	require.NoError(t, err)
	var rep struct {
		Failing []struct {
			Seed uint64 `json:"seed"`
			Kept string `json:"kept"`
		} `json:"failing_seeds"`
	}
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Len(t, rep.Failing, 1, string(data))
	assert.Equal(t, file, rep.Failing[0].Kept)

	sw, err := simtest.MergeResults("results.jsonl")
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	require.Len(t, sw.Tests[0].Failing, 1)
	assert.Equal(t, file, sw.Tests[0].Failing[0].Kept, "a merge keeps it")
}

// TestAKeptSeedThatFailsOnAnotherExecutionIsNotCalledKnown: a kept seed
// whose run has another trace than its file keeps ran another execution,
// so its failure may be a new one: the report's first line says it
// failed on another execution, not again, and the results line, the JSON
// report and a merge carry kept_moved, for CI to tell it from the known
// failure.
func TestAKeptSeedThatFailsOnAnotherExecutionIsNotCalledKnown(t *testing.T) {
	t.Chdir(t.TempDir())
	file := filepath.Join("testdata", "simtest", "TestKeptMoved", "42")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(t, os.WriteFile(file, []byte("# trace: 0000000000000001\n"), 0o644))
	r := runIn("TestKeptMoved", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Errorf("the bug") }, simtest.Seeds(3),
			simtest.ResultsFile("results.jsonl"), simtest.JSONReport("report.json"))
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "simtest: kept seed 42 ("+file+") failed, on another execution than the one kept\n  replay: ")
	assert.NotContains(t, out, "failed again")

	data, err := os.ReadFile("results.jsonl")
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(data), "\n")
	assert.Contains(t, first, `"kept":"`+filepath.ToSlash(file)+`","kept_moved":true`)
	data, err = os.ReadFile("report.json")
	require.NoError(t, err)
	assert.Contains(t, string(data), `"kept_moved": true`)
	sw, err := simtest.MergeResults("results.jsonl")
	require.NoError(t, err)
	require.Len(t, sw.Tests, 1)
	require.Len(t, sw.Tests[0].Failing, 1)
	assert.True(t, sw.Tests[0].Failing[0].KeptMoved, "a merge keeps it")
	assert.Contains(t, sw.Tests[0].Report, "\n        seed 42 (kept in testdata/simtest, failed on another execution than the one kept): ", "and says it")
}
