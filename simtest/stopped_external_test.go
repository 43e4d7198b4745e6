package simtest_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// failsFromThird is a body whose seeds fail from the third on.
func failsFromThird() func(s *simtest.S) {
	n := 0
	return func(s *simtest.S) {
		n++
		if n >= 3 {
			s.Errorf("seed %d of the Run fails", n)
		}
	}
}

// A Run that stops at its first failing seed says how many of the seeds
// it set out to run ran, so that "3 seeds" of a Run given 10 does not
// read as a Run given 3; the JSON report, the results file and
// Simulate's Result carry the count too. A Run that ran them all says
// only how many.
func TestSummarySaysHowManyOfTheSeedsRan(t *testing.T) {
	dir := t.TempDir()
	jsonPath, resultsPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "results.jsonl")
	res := simtest.Simulate(failsFromThird(), simtest.Seeds(10), simtest.JSONReport(jsonPath), simtest.ResultsFile(resultsPath))
	assert.Equal(t, 3, res.Seeds)
	assert.Equal(t, 10, res.Planned)
	assert.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "\nsimtest: 3 of 10 seeds run (a Run stops at its first failing seed; -simall or simtest.KeepGoing runs them all), 2 passed, 1 failed; wall ")

	var report struct {
		Seeds        int `json:"seeds"`
		SeedsPlanned int `json:"seeds_planned"`
		Failed       int `json:"failed"`
	}
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &report))
	assert.Equal(t, 3, report.Seeds)
	assert.Equal(t, 10, report.SeedsPlanned)
	assert.Equal(t, 1, report.Failed)

	f, err := os.Open(resultsPath)
	require.NoError(t, err)
	defer f.Close()
	var last string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		last = sc.Text()
	}
	var summary struct {
		Summary struct {
			Seeds        int `json:"seeds"`
			SeedsPlanned int `json:"seeds_planned"`
		} `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(last), &summary), last)
	assert.Equal(t, 3, summary.Summary.Seeds)
	assert.Equal(t, 10, summary.Summary.SeedsPlanned)
}

func TestSummaryOfARunThatRanEverySeedSaysHowMany(t *testing.T) {
	all := simtest.Simulate(failsFromThird(), simtest.Seeds(10), simtest.KeepGoing())
	assert.Equal(t, 10, all.Seeds)
	assert.Zero(t, all.Planned)
	assert.Contains(t, all.Report, "\nsimtest: 10 seeds, 2 passed, 8 failed; wall ")

	// The last seed fails: the Run stopped at it, with none left.
	last := simtest.Simulate(failsFromThird(), simtest.Seeds(3))
	assert.Equal(t, 3, last.Seeds)
	assert.Zero(t, last.Planned)
	assert.Contains(t, last.Report, "\nsimtest: 3 seeds, 2 passed, 1 failed; wall ")

	pass := simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(4))
	assert.Zero(t, pass.Planned)
	assert.Contains(t, pass.Report, "simtest: 4 seeds, 4 passed, 0 failed; wall ")
}

// A kept seed runs first, and counts among the seeds the Run sets out to
// run once: as one more when it is not of the test's sequence, not again
// when it is.
func TestSummaryCountsKeptSeedsOnceAmongThoseSetOutToRun(t *testing.T) {
	t.Chdir(t.TempDir())
	var third uint64
	n := 0
	r := runIn("TestPlanned", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if n++; n == 3 {
				third = s.Seed()
				s.Errorf("the third seed fails")
			}
		}, simtest.Seeds(10))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: 3 of 10 seeds run (a Run stops at its first failing seed; -simall or simtest.KeepGoing runs them all), 2 passed, 1 failed")

	// A recorder is no *testing.T, so the Run kept nothing: keep it here.
	dir := filepath.Join("testdata", "simtest", "TestPlanned")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, strconv.FormatUint(third, 10)), nil, 0o644))
	failsThird := func(s *simtest.S) {
		if s.Seed() == third {
			s.Errorf("the third seed fails")
		}
	}
	r = runIn("TestPlanned", func(r *recorder) { simtest.Run(r, failsThird, simtest.Seeds(10)) })
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: 1 of 10 seeds run (", "the kept seed is of the sequence")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "42"), nil, 0o644))
	r = runIn("TestPlanned", func(r *recorder) { simtest.Run(r, failsThird, simtest.Seeds(10)) })
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: 2 of 11 seeds run (", "seed 42 is not of the sequence; it passes, then the kept third fails")

	// A shard but the first passes over the kept seeds of its part (the
	// first runs them), and counts them out of those it sets out to run:
	// shard 2 of 3 takes places 2, 5 and 8, and the third seed is kept.
	fails := func(s *simtest.S) { s.Errorf("every seed fails") }
	r = runIn("TestPlanned", func(r *recorder) { simtest.Run(r, fails, simtest.Seeds(10), simtest.Shard(2, 3)) })
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: 1 of 2 seeds run (")
	r = runIn("TestPlanned", func(r *recorder) { simtest.Run(r, fails, simtest.Seeds(10), simtest.Shard(1, 3)) })
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: 1 of 3 seeds run (", "places 1, 4 and 7: no kept seed among them")
}
